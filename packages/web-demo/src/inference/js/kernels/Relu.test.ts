import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Relu', () => {
  it('matches onnxruntime', async () => {
    await expectMatchesOnnxruntime('Relu', [randomTensor([2, 3, 4, 5], 1)], {}, { tolerance: 0 });
  });
});
