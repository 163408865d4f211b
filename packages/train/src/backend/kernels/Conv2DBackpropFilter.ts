import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { convDims, convInfoOf, explicitPad, type ConvGradAttrs } from './conv-geometry.ts';
import { call, dispose, kernel, transpose, type WasmBackend, type WasmKernelReplacement } from './wasm-backend.ts';

/**
 * dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-top, ow*s+kw-left, ci] * dy[n,oh,ow,co].
 * Few input channels (the first layer): im2col^T times dy, where dy already
 * is the right-hand matrix. Otherwise one forward conv with the roles of
 * batch and channels swapped, which needs no patch matrix at all.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { filterShape: number[] };
  const info = convInfoOf(x.shape, a.filterShape, a);
  const [kh, kw, ci] = a.filterShape as [number, number, number, number];
  return kh * kw * ci <= IM2COL_MAX_ROWS || kh * kw === 1 ? filterGradByIm2col(b, x, dy, info) : filterGradByConv(b, x, dy, info);
};

/**
 * Below this patch length the swapped-roles conv has too few output rows to
 * keep XNNPACK busy. 1x1 kernels (the ResNet's strided projections) always
 * take im2col: their patch matrix is a strided copy of the input, and the
 * swapped-roles conv would be a dilated 14x14 filter (64 images at 28x28,
 * 16 -> 32 channels: 22-29 ms against 51-64 ms, scripts/bench-kernels.ts). Above it, im2col measured no faster (the CNN's second
 * layer, 288 patch rows: 26 ms either way), as building the patch matrix in
 * JS costs about what the product saves.
 */
const IM2COL_MAX_ROWS = 32;

function filterGradByIm2col(b: WasmBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left } = convDims(info);
  const cols = n * oh * ow;
  // Channels first ([CI, N, H, W]), so each patch row is copied from contiguous image rows.
  const planes = ci > 1 ? transpose(b, x, [3, 0, 1, 2]) : x;
  const patchesT = b.makeOutput([1, kh * kw * ci, cols], 'float32');
  const dst = b.typedArrayFromHeap(patchesT);
  const src = b.typedArrayFromHeap(planes);
  let j = 0;
  for (let y = 0; y < kh; y++)
    for (let xk = 0; xk < kw; xk++) {
      // Output columns whose input column lies inside the image; the rest are padding zeros.
      const qlo = Math.min(ow, Math.max(0, Math.ceil((left - xk) / sw)));
      const qhi = Math.max(qlo, Math.min(ow, Math.floor((w - 1 - xk + left) / sw) + 1));
      for (let c = 0; c < ci; c++)
        for (let i = 0; i < n; i++) {
          const plane = (c * n + i) * h;
          for (let r = 0; r < oh; r++, j += ow) {
            const iy = r * sh + y - top;
            if (iy < 0 || iy >= h) {
              for (let q = 0; q < ow; q++) dst[j + q] = 0;
              continue;
            }
            const from = (plane + iy) * w + xk - left;
            for (let q = 0; q < qlo; q++) dst[j + q] = 0;
            if (sw === 1) for (let q = qlo; q < qhi; q++) dst[j + q] = src[from + q]!;
            else for (let q = qlo; q < qhi; q++) dst[j + q] = src[from + q * sw]!;
            for (let q = qhi; q < ow; q++) dst[j + q] = 0;
          }
        }
    }
  if (planes !== x) dispose(b, planes);
  const dy2 = call(kernel('Reshape'), { x: dy }, b, { shape: [1, cols, co] });
  const prod = call(kernel('BatchMatMul'), { a: patchesT, b: dy2 }, b, { transposeA: false, transposeB: false });
  const out = call(kernel('Reshape'), { x: prod }, b, { shape: [kh, kw, ci, co] });
  dispose(b, patchesT, dy2, prod);
  return out;
}

function filterGradByConv(b: WasmBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { top, left } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  // Batch becomes channels and channels become batch: [CI, H, W, N] conv [OH, OW, N, CO] -> [CI, KH', KW', CO].
  const xT = transpose(b, x, [3, 1, 2, 0]);
  const dyT = transpose(b, dy, [1, 2, 0, 3]);
  // Pad the bottom/right only as far as the last window reaches, so the output is at least KH x KW.
  const bottom = Math.max(0, (info.outHeight - 1) * info.strideHeight + kh - top - info.inHeight);
  const right = Math.max(0, (info.outWidth - 1) * info.strideWidth + kw - left - info.inWidth);
  const full = call(kernel('Conv2D'), { x: xT, filter: dyT }, b, {
    strides: [1, 1],
    dilations: [info.strideHeight, info.strideWidth],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: 'NHWC',
  });
  let cropped = full;
  if (full.shape[1] !== kh || full.shape[2] !== kw) {
    cropped = call(kernel('Slice'), { x: full }, b, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
  }
  const out = transpose(b, cropped, [1, 2, 0, 3]);
  dispose(b, xT, dyT, full);
  if (cropped !== full) dispose(b, cropped);
  return out;
}

export const conv2DBackpropFilterReplacement: WasmKernelReplacement = { kernelName: 'Conv2DBackpropFilter', wrap: () => conv2DBackpropFilter };
