import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Flatten', () => {
  it('matches onnxruntime at axis 1 and at axis 2', async () => {
    await expectMatchesOnnxruntime('Flatten', [randomTensor([2, 3, 4, 5], 1)], {}, { tolerance: 0 });
    await expectMatchesOnnxruntime('Flatten', [randomTensor([2, 3, 4, 5], 2)], { axis: 2 }, { tolerance: 0 });
  });
});
