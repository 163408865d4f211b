import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend, WasmKernelReplacement } from './wasm-backend.ts';

/** Routes each pooled output's gradient to the first maximum of its window, as the cpu backend does. */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackend;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = b.makeOutput(input.shape, 'float32');
  const xs = b.typedArrayFromHeap(input);
  const g = b.typedArrayFromHeap(dy);
  const dx = b.typedArrayFromHeap(out);
  if (filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 && top === 0 && left === 0) {
    // Windows tile the input exactly unless a row or column is left over; only then can some dx stay unwritten.
    if (inHeight !== 2 * outHeight || inWidth !== 2 * outWidth) dx.fill(0);
    maxPool2x2Grad(xs, g, dx, batchSize, inHeight, inWidth, c, outHeight, outWidth);
    return out;
  }
  dx.fill(0);
  // Per window, scan positions in row-major order with channels innermost
  // (contiguous in NHWC); strict ">" keeps the first maximum.
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let n = 0; n < batchSize; n++) {
    const xBase = n * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = Math.max(0, oy * strideHeight - top);
      const y1 = Math.min(inHeight, oy * strideHeight - top + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = Math.max(0, ox * strideWidth - left);
        const x1 = Math.min(inWidth, ox * strideWidth - left + filterWidth);
        best.fill(-Infinity);
        at.fill(-1);
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++) {
            const p = xBase + (y * inWidth + x) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xs[p + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                at[ch] = p + ch;
              }
            }
          }
        const gBase = ((n * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) if (at[ch]! >= 0) dx[at[ch]!]! += g[gBase + ch]!;
      }
    }
  }
  return out;
};

/** The CNN's 2x2/2 pooling, unrolled: the generic loop spends most of its time on bookkeeping. */
function maxPool2x2Grad(xs: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  let gi = 0;
  for (let i = 0; i < n; i++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((i * h + 2 * oy) * w + 2 * ox) * c;
        const p01 = p00 + c;
        const p10 = p00 + row;
        const p11 = p10 + c;
        // Every window position is written (0 or the gradient), without branches: the first
        // maximum in scan order wins, as in the cpu backend, and random maxima mispredict.
        for (let ch = 0; ch < c; ch++, gi++) {
          const a = xs[p00 + ch]!;
          const b = xs[p01 + ch]!;
          const d = xs[p10 + ch]!;
          const e = xs[p11 + ch]!;
          const grad = g[gi]!;
          const k0 = +(a >= b && a >= d && a >= e);
          const k1 = +(b > a && b >= d && b >= e);
          const k2 = +(d > a && d > b && d >= e);
          dx[p00 + ch] = grad * k0;
          dx[p01 + ch] = grad * k1;
          dx[p10 + ch] = grad * k2;
          dx[p11 + ch] = grad * (1 - k0 - k1 - k2);
        }
      }
}

export const maxPoolGradReplacement: WasmKernelReplacement = { kernelName: 'MaxPoolGrad', wrap: () => maxPoolGrad };
