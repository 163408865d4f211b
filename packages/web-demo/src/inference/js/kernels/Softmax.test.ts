import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Softmax', () => {
  it('matches onnxruntime over the last axis, large logits included', async () => {
    const x = randomTensor([4, 10], 1);
    await expectMatchesOnnxruntime('Softmax', [{ dims: x.dims, data: x.data.map((v) => v * 60) }], { axis: -1 }, { tolerance: 1e-6 });
  });
});
