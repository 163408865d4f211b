import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BN_GRAD_KERNEL } from '../../model/batch-norm.ts';
import type { WasmBackend, WasmKernelReplacement } from './wasm-backend.ts';

/**
 * The closed-form batch-norm training gradient over all axes but the last
 * (see model/batch-norm.ts): one pass for the two channel sums, one for dx.
 * The sums are of dy and dy*x (then sum(dy*xhat) = invStd*(sum(dy*x) -
 * mean*sum(dy)), float64), and dx is the per-channel affine map
 * A*dy + B*x + C, two multiply-adds an element where the textbook form
 * takes six operations: on ResNet-20's 28x28x16 maps (a 64-image shard)
 * 37-45 ms against 64-92 ms, scripts/bench-bn-grad.ts on a busy machine.
 */
const batchNormTrainingGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as WasmBackend;
  const { x, dy, mean, invStd, gamma } = inputs as Record<'x' | 'dy' | 'mean' | 'invStd' | 'gamma', TensorInfo>;
  const c = x.shape[x.shape.length - 1]!;
  const dxInfo = b.makeOutput(x.shape, 'float32');
  const dgammaInfo = b.makeOutput([c], 'float32');
  const dbetaInfo = b.makeOutput([c], 'float32');
  const [xs, g, mu, inv, gam, dx] = [x, dy, mean, invStd, gamma, dxInfo].map((t) => b.typedArrayFromHeap(t)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const n = xs.length;
  const sumDy = new Float64Array(c);
  const sumDyX = new Float64Array(c);
  for (let i = 0; i < n; i += c)
    for (let ch = 0; ch < c; ch++) {
      const d = g[i + ch]!;
      sumDy[ch]! += d;
      sumDyX[ch]! += d * xs[i + ch]!;
    }
  const m = n / c;
  const sumDyXhat = new Float64Array(c);
  const a = new Float32Array(c);
  const bx = new Float32Array(c);
  const c0 = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    const iv = inv[ch]!;
    sumDyXhat[ch] = iv * (sumDyX[ch]! - mu[ch]! * sumDy[ch]!);
    // dx = scale * (dy - sumDy/m - xhat * sumDyXhat/m), xhat = (x - mean) * invStd.
    const scale = gam[ch]! * iv;
    a[ch] = scale;
    bx[ch] = (-scale * sumDyXhat[ch]! * iv) / m;
    c0[ch] = (-scale * sumDy[ch]!) / m + (scale * sumDyXhat[ch]! * iv * mu[ch]!) / m;
  }
  for (let i = 0; i < n; i += c) for (let ch = 0; ch < c; ch++) dx[i + ch] = a[ch]! * g[i + ch]! + bx[ch]! * xs[i + ch]! + c0[ch]!;
  b.typedArrayFromHeap(dgammaInfo).set(sumDyXhat);
  b.typedArrayFromHeap(dbetaInfo).set(sumDy);
  return [dxInfo, dgammaInfo, dbetaInfo];
};

export const batchNormTrainingGradReplacement: WasmKernelReplacement = { kernelName: BN_GRAD_KERNEL, wrap: () => batchNormTrainingGrad };
