import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Conv', () => {
  it('matches onnxruntime: 3x3, same padding, bias (the CNN layers)', async () => {
    await expectMatchesOnnxruntime('Conv', [randomTensor([2, 3, 9, 8], 1), randomTensor([5, 3, 3, 3], 2), randomTensor([5], 3)], {
      kernel_shape: [3, 3],
      pads: [1, 1, 1, 1],
    });
  });
  it('matches onnxruntime: stride 2 with asymmetric padding (the ResNet downsampling)', async () => {
    await expectMatchesOnnxruntime('Conv', [randomTensor([1, 4, 8, 8], 4), randomTensor([6, 4, 3, 3], 5)], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [0, 0, 1, 1],
    });
  });
  it('matches onnxruntime: 1x1 stride 2 (the shortcut), no padding', async () => {
    await expectMatchesOnnxruntime('Conv', [randomTensor([1, 4, 7, 7], 6), randomTensor([8, 4, 1, 1], 7), randomTensor([8], 8)], {
      kernel_shape: [1, 1],
      strides: [2, 2],
    });
  });
  it('matches onnxruntime: an odd number of output pixels and no bias (the two-pixel loop and its last pixel)', async () => {
    await expectMatchesOnnxruntime('Conv', [randomTensor([2, 2, 5, 5], 9), randomTensor([8, 2, 3, 3], 10)], {
      kernel_shape: [3, 3],
      pads: [1, 1, 1, 1],
    });
  });
  it('refuses grouped convolution', async () => {
    const { Conv } = await import('./Conv.ts');
    const { expect } = await import('vitest');
    expect(() => Conv([randomTensor([1, 4, 5, 5], 1), randomTensor([4, 1, 3, 3], 2)], new Map([['group', 4]]))).toThrow(/grouped/);
  });
});
