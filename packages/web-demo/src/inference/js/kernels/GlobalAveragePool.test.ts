import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('GlobalAveragePool', () => {
  it('matches onnxruntime', async () => {
    await expectMatchesOnnxruntime('GlobalAveragePool', [randomTensor([2, 3, 7, 7], 1)], {}, { tolerance: 1e-6 });
  });
});
