import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('MaxPool', () => {
  it('matches onnxruntime: 2x2 stride 2 over an odd size (the CNN, 7 -> 3)', async () => {
    await expectMatchesOnnxruntime('MaxPool', [randomTensor([2, 3, 7, 7], 1)], { kernel_shape: [2, 2], strides: [2, 2] });
  });
  it('matches onnxruntime: padding never wins over negative values', async () => {
    const x = randomTensor([1, 2, 6, 6], 2);
    await expectMatchesOnnxruntime('MaxPool', [{ dims: x.dims, data: x.data.map((v) => -Math.abs(v) - 1) }], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    });
  });
});
