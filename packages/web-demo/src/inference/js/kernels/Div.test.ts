import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Div', () => {
  it('matches onnxruntime by a single value (the calibration temperature)', async () => {
    await expectMatchesOnnxruntime('Div', [randomTensor([3, 10], 1), { dims: [1], data: Float32Array.of(1.37) }], {}, { tolerance: 0 });
  });
});
