import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Gemm', () => {
  it('matches onnxruntime: transB with a bias row (the dense layers)', async () => {
    await expectMatchesOnnxruntime('Gemm', [randomTensor([3, 20], 1), randomTensor([7, 20], 2), randomTensor([7], 3)], { transB: 1 });
  });
  it('matches onnxruntime: transA, alpha and beta, no transB', async () => {
    await expectMatchesOnnxruntime('Gemm', [randomTensor([5, 2], 4), randomTensor([5, 6], 5), randomTensor([2, 6], 6)], {
      transA: 1,
      alpha: { float: 0.5 },
      beta: { float: 2 },
    });
  });
  it('matches onnxruntime without C', async () => {
    await expectMatchesOnnxruntime('Gemm', [randomTensor([2, 4], 7), randomTensor([4, 3], 8)]);
  });
});
