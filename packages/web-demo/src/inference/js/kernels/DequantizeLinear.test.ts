import { describe, it } from 'vitest';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('DequantizeLinear', () => {
  it('matches onnxruntime: per-channel int8 along axis 0 (the conv kernels)', async () => {
    const scale = randomTensor([4], 2);
    await expectMatchesOnnxruntime(
      'DequantizeLinear',
      [randomTensor([4, 2, 3, 3], 1, true), { dims: [4], data: scale.data.map((v) => Math.abs(v) / 50) }, randomTensor([4], 3, true)],
      { axis: 0 },
      { int8: [0, 2] },
    );
  });
  it('matches onnxruntime: per-channel along axis 1 (the dense kernels), zero point 0', async () => {
    await expectMatchesOnnxruntime(
      'DequantizeLinear',
      [randomTensor([6, 5], 4, true), { dims: [5], data: Float32Array.of(0.01, 0.02, 0.5, 1, 0.003) }, { dims: [5], data: new Float32Array(5) }],
      { axis: 1 },
      { int8: [0, 2] },
    );
  });
});
