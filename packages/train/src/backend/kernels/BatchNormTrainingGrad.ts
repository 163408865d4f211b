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
  const [sumDy, sumDyX] = channelSums(g, xs, c);
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
  channelAffine(dx, g, xs, a, bx, c0, c);
  b.typedArrayFromHeap(dgammaInfo).set(sumDyXhat);
  b.typedArrayFromHeap(dbetaInfo).set(sumDy);
  return [dxInfo, dgammaInfo, dbetaInfo];
};

/**
 * Per channel, sum(dy) and sum(dy * x) in float64. Four channels at a time in
 * locals, each summed over the rows in order (the same sums, bit for bit, as
 * one channel at a time): V8 keeps the eight accumulators in registers, where
 * indexed Float64Array accumulators cost a load and a store per element;
 * about 2x faster on the ResNet's maps with the affine pass below (scripts/bench-bn-grad.ts).
 */
function channelSums(g: Float32Array, xs: Float32Array, c: number): [Float64Array, Float64Array] {
  const sumDy = new Float64Array(c);
  const sumDyX = new Float64Array(c);
  const n = xs.length;
  if (c % 4 !== 0) {
    for (let i = 0; i < n; i += c)
      for (let ch = 0; ch < c; ch++) {
        const d = g[i + ch]!;
        sumDy[ch]! += d;
        sumDyX[ch]! += d * xs[i + ch]!;
      }
    return [sumDy, sumDyX];
  }
  for (let ch = 0; ch < c; ch += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    for (let i = ch; i < n; i += c) {
      const d0 = g[i]!;
      const d1 = g[i + 1]!;
      const d2 = g[i + 2]!;
      const d3 = g[i + 3]!;
      s0 += d0;
      s1 += d1;
      s2 += d2;
      s3 += d3;
      p0 += d0 * xs[i]!;
      p1 += d1 * xs[i + 1]!;
      p2 += d2 * xs[i + 2]!;
      p3 += d3 * xs[i + 3]!;
    }
    sumDy[ch] = s0;
    sumDy[ch + 1] = s1;
    sumDy[ch + 2] = s2;
    sumDy[ch + 3] = s3;
    sumDyX[ch] = p0;
    sumDyX[ch + 1] = p1;
    sumDyX[ch + 2] = p2;
    sumDyX[ch + 3] = p3;
  }
  return [sumDy, sumDyX];
}

/** dx = a * dy + b * x + k per channel, four channels at a time with their coefficients in locals. */
function channelAffine(dx: Float32Array, g: Float32Array, xs: Float32Array, a: Float32Array, b: Float32Array, k: Float32Array, c: number): void {
  const n = xs.length;
  if (c % 4 !== 0) {
    for (let i = 0; i < n; i += c) for (let ch = 0; ch < c; ch++) dx[i + ch] = a[ch]! * g[i + ch]! + b[ch]! * xs[i + ch]! + k[ch]!;
    return;
  }
  for (let ch = 0; ch < c; ch += 4) {
    const a0 = a[ch]!;
    const a1 = a[ch + 1]!;
    const a2 = a[ch + 2]!;
    const a3 = a[ch + 3]!;
    const b0 = b[ch]!;
    const b1 = b[ch + 1]!;
    const b2 = b[ch + 2]!;
    const b3 = b[ch + 3]!;
    const k0 = k[ch]!;
    const k1 = k[ch + 1]!;
    const k2 = k[ch + 2]!;
    const k3 = k[ch + 3]!;
    for (let i = ch; i < n; i += c) {
      dx[i] = a0 * g[i]! + b0 * xs[i]! + k0;
      dx[i + 1] = a1 * g[i + 1]! + b1 * xs[i + 1]! + k1;
      dx[i + 2] = a2 * g[i + 2]! + b2 * xs[i + 2]! + k2;
      dx[i + 3] = a3 * g[i + 3]! + b3 * xs[i + 3]! + k3;
    }
  }
}

export const batchNormTrainingGradReplacement: WasmKernelReplacement = { kernelName: BN_GRAD_KERNEL, wrap: () => batchNormTrainingGrad };
