/**
 * Fast training kernels for @tensorflow/tfjs-backend-wasm.
 *
 * The wasm backend has no Conv2DBackpropFilter at all, and its
 * Conv2DBackpropInput, MaxPoolGrad and transposed BatchMatMul run scalar
 * loops (~2 GFLOP/s against ~20 GFLOP/s for XNNPACK's forward paths on this
 * CPU). Every gradient here is rewritten onto a fast path:
 * - BatchMatMul with transposeA/B: transpose physically (cheap copy), then
 *   the untransposed XNNPACK product.
 * - Conv2DBackpropFilter: a forward convolution of the transposed input
 *   with the transposed output gradient as filter, dilated by the stride.
 * - Conv2DBackpropInput: a forward convolution of the (stride-dilated,
 *   padded) output gradient with the flipped, channel-swapped filter.
 * - MaxPoolGrad: one pass over the pooled windows, straight on the wasm heap.
 */
import {
  backend_util,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BN_GRAD_KERNEL } from '../model/batch-norm.ts';

const BACKEND = 'wasm';

/** The slice of BackendWasm these kernels use (its class is not exported with types we can import). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

type Pad = backend_util.Conv2DInfo['padInfo'];

function kernel(name: string): KernelFunc {
  const k = getKernel(name, BACKEND);
  if (!k) throw new Error(`the wasm backend has no ${name} kernel; is @tensorflow/tfjs-backend-wasm imported?`);
  return k.kernelFunc;
}

function call(fn: KernelFunc, inputs: Record<string, TensorInfo>, backend: WasmBackend, attrs: object): TensorInfo {
  return fn({ inputs, backend: backend as never, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

function dispose(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

function transpose(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return call(kernel('Transpose'), { x }, backend, { perm });
}

function explicitPad(top: number, bottom: number, left: number, right: number): number[][] {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** BatchMatMul without transposes, so XNNPACK's fast path always runs. */
function makeBatchMatMul(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackend;
    let { a, b: bm } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const temps: TensorInfo[] = [];
    const swapLast = (t: TensorInfo) => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
      const out = transpose(b, t, perm);
      temps.push(out);
      return out;
    };
    if (transposeA) a = swapLast(a);
    if (transposeB) bm = swapLast(bm);
    const out = original({ inputs: { a, b: bm }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    dispose(b, ...temps);
    return out;
  };
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: backend_util.PadInfo['type'] | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

function convInfoOf(xShape: number[], filterShape: number[], attrs: ConvGradAttrs): backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm training kernels support only channels-last (NHWC) convolutions');
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode,
  );
}

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
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
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

/** The filter flipped in space with in/out channels swapped: W'[a,b,co,ci] = W[KH-1-a, KW-1-b, ci, co]. */
function flippedFilter(b: WasmBackend, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  // Allocate first: growing the wasm heap detaches views taken before.
  const out = b.makeOutput([kh, kw, co, ci], 'float32');
  const src = b.typedArrayFromHeap(filter);
  const dst = b.typedArrayFromHeap(out);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) {
      const s = ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      const d = (y * kw + x) * co * ci;
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) dst[d + o * ci + i] = src[s + i * co + o]!;
    }
  return out;
}

/** Inserts stride-1 zeros between the rows and columns of dy, so a strided conv's gradient becomes a stride-1 conv. */
function dilate(b: WasmBackend, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const h = (oh - 1) * sh + 1;
  const w = (ow - 1) * sw + 1;
  const out = b.makeOutput([n, h, w, c], 'float32');
  const dst = b.typedArrayFromHeap(out);
  dst.fill(0);
  const src = b.typedArrayFromHeap(dy);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const s = ((i * oh + y) * ow + x) * c;
        dst.set(src.subarray(s, s + c), ((i * h + y * sh) * w + x * sw) * c);
      }
  return out;
}

function makeConv2DBackpropInput(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const b = backend as unknown as WasmBackend;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvGradAttrs & { inputShape: number[] };
    const info = convInfoOf(a.inputShape, filter.shape, a);
    const [kh, kw] = filter.shape as [number, number];
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const dilatedH = (info.outHeight - 1) * info.strideHeight + 1;
    const dilatedW = (info.outWidth - 1) * info.strideWidth + 1;
    const bottom = info.inHeight + kh - 1 - dilatedH - top;
    const right = info.inWidth + kw - 1 - dilatedW - left;
    // Negative padding would need a crop; that shape never occurs in this project, so keep the exact fallback.
    if (Math.min(top, left, bottom, right) < 0) return original(args);
    const strided = info.strideHeight > 1 || info.strideWidth > 1;
    if (strided) {
      const phased = inputGradByPhases(b, dy, filter, info);
      if (phased) return phased;
    }
    const src = strided ? dilate(b, dy, info.strideHeight, info.strideWidth) : dy;
    const w = flippedFilter(b, filter);
    const out = call(kernel('Conv2D'), { x: src, filter: w }, b, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: explicitPad(top, bottom, left, right),
      dataFormat: 'NHWC',
    });
    dispose(b, w);
    if (strided) dispose(b, src);
    return out;
  };
}

/** The taps of one kernel axis that reach input positions of phase p (mod stride), ordered by the dy offset d they read. */
function phaseTaps(p: number, pad: number, k: number, stride: number): { taps: number[]; dMin: number } {
  const taps: number[] = [];
  // d = (p + pad - tap) / stride must be whole; ascending d is descending tap.
  for (let tap = k - 1; tap >= 0; tap--) if ((((p + pad - tap) % stride) + stride) % stride === 0) taps.push(tap);
  return { taps, dMin: taps.length ? (p + pad - taps[0]!) / stride : 0 };
}

/**
 * The input gradient of a strided conv by output phases: the input rows
 * (and columns) at position p mod stride receive dy only through the
 * kernel taps congruent to p + pad, so each of the stride^2 phases is a
 * stride-1 conv of dy with that sub-filter, and the phases interleave into
 * dx. Dilating dy with zeros instead (the general path) multiplies the
 * work by stride^2: the ResNet's 3x3 stride-2 convs, 64 images at 28x28,
 * 16 -> 32 channels, took 216 ms that way against 41 ms for the forward
 * conv (scripts/bench-kernels.ts). Returns null for shapes that would need
 * negative padding (the caller then takes the general path).
 */
function inputGradByPhases(b: WasmBackend, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | null {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const phases: { py: number; px: number; rows: number; cols: number; ty: ReturnType<typeof phaseTaps>; tx: ReturnType<typeof phaseTaps>; pads: number[] }[] = [];
  for (let py = 0; py < Math.min(sh, h); py++)
    for (let px = 0; px < Math.min(sw, w); px++) {
      const rows = Math.ceil((h - py) / sh);
      const cols = Math.ceil((w - px) / sw);
      const ty = phaseTaps(py, top, kh, sh);
      const tx = phaseTaps(px, left, kw, sw);
      if (!ty.taps.length || !tx.taps.length) {
        phases.push({ py, px, rows, cols, ty, tx, pads: [] });
        continue;
      }
      // XNNPACK's output rows: oh + padTop + padBottom - taps + 1 = rows, with padTop = -dMin.
      const pads = [-ty.dMin, rows - oh + ty.dMin + ty.taps.length - 1, -tx.dMin, cols - ow + tx.dMin + tx.taps.length - 1];
      if (Math.min(...pads) < 0) return null;
      phases.push({ py, px, rows, cols, ty, tx, pads });
    }
  const dx = b.makeOutput([n, h, w, ci], 'float32');
  for (const { py, px, rows, cols, ty, tx, pads } of phases) {
    if (!pads.length) {
      // No tap reaches this phase (a 1x1 kernel with stride 2): its positions get no gradient.
      const out = b.typedArrayFromHeap(dx);
      for (let i = 0; i < n; i++) for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) out.fill(0, ((i * h + r * sh + py) * w + q * sw + px) * ci, ((i * h + r * sh + py) * w + q * sw + px + 1) * ci);
      continue;
    }
    // Allocate before taking heap views: growing the heap detaches earlier views.
    const sub = b.makeOutput([ty.taps.length, tx.taps.length, co, ci], 'float32');
    const src = b.typedArrayFromHeap(filter);
    const dst = b.typedArrayFromHeap(sub);
    ty.taps.forEach((ky, a) =>
      tx.taps.forEach((kx, c) => {
        const s = (ky * kw + kx) * ci * co;
        const d = (a * tx.taps.length + c) * co * ci;
        for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) dst[d + o * ci + i] = src[s + i * co + o]!;
      }),
    );
    const phase = call(kernel('Conv2D'), { x: dy, filter: sub }, b, { strides: [1, 1], dilations: [1, 1], pad: explicitPad(pads[0]!, pads[1]!, pads[2]!, pads[3]!), dataFormat: 'NHWC' });
    const from = b.typedArrayFromHeap(phase);
    const out = b.typedArrayFromHeap(dx);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < rows; r++)
        for (let q = 0; q < cols; q++) {
          const o = ((i * h + r * sh + py) * w + q * sw + px) * ci;
          const f = ((i * rows + r) * cols + q) * ci;
          for (let c = 0; c < ci; c++) out[o + c] = from[f + c]!;
        }
    dispose(b, sub, phase);
  }
  return dx;
}

/** Routes each pooled output's gradient to the first maximum of its window, as the cpu backend does. */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackend;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
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
              if (v > best[ch]!) { best[ch] = v; at[ch] = p + ch; }
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

/**
 * Sum or mean over every axis but the last (bias gradients, batch-norm
 * statistics): one streaming pass with float64 accumulators, where the wasm
 * kernel would first transpose the whole tensor. Eight rows are added
 * before each accumulator update, which makes the pass about 3x faster.
 * (An XNNPACK product with a ones vector was slower: it packs the big
 * matrix as weights on every call.)
 */
function makeChannelReduce(mean: boolean): (original: KernelFunc) => KernelFunc {
  return (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = (Array.isArray(axis) ? axis : [axis]).map((ax) => (ax < 0 ? ax + rank : ax)).sort((p, q) => p - q);
    const leading = rank > 1 && axes.length === rank - 1 && axes.every((ax, i) => ax === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const b = backend as unknown as WasmBackend;
    const c = x.shape[rank - 1]!;
    const out = b.makeOutput(keepDims ? [...Array(rank - 1).fill(1), c] : [c], 'float32');
    const acc = channelSums(b.typedArrayFromHeap(x), c);
    const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
    if (mean) for (let ch = 0; ch < c; ch++) acc[ch]! /= rows;
    b.typedArrayFromHeap(out).set(acc);
    return out;
  };
}

function channelSums(src: Float32Array, c: number): Float64Array {
  const acc = new Float64Array(c);
  const step = 8 * c;
  const end = src.length - (src.length % step);
  let i = 0;
  for (; i < end; i += step)
    for (let ch = 0; ch < c; ch++) {
      const j = i + ch;
      acc[ch]! += src[j]! + src[j + c]! + (src[j + 2 * c]! + src[j + 3 * c]!) + (src[j + 4 * c]! + src[j + 5 * c]! + (src[j + 6 * c]! + src[j + 7 * c]!));
    }
  for (; i < src.length; i += c) for (let ch = 0; ch < c; ch++) acc[ch]! += src[i + ch]!;
  return acc;
}

/**
 * Identity, and Cast to the dtype a tensor already has, share the input's
 * data, as the cpu backend's Identity does. tfjs clones every tensor it saves
 * for the backward pass and casts ReLU's step mask to float32, and the wasm
 * kernels copy each one (about 3 ms of a CNN step). Tensors are immutable,
 * so sharing is safe; the backend's internal copies do not come through here.
 */
function makeSharedCopy(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = (args.attrs ?? {}) as { dtype?: string };
    if (x.dtype === 'string' || (dtype !== undefined && dtype !== x.dtype)) return original(args);
    (args.backend as unknown as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Tile that only repeats a tensor along leading axes of size 1 (how
 * batch-norm gradients broadcast per-channel values): the output is the
 * input repeated end to end, so it is filled by doubling block copies.
 */
function makeTile(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as { reps: number[] };
    const rank = x.shape.length;
    const lastRepeated = reps.reduce((at, r, i) => (r !== 1 ? i : at), -1);
    const firstLarger = x.shape.findIndex((d) => d !== 1);
    // Every repeated axis must come before every axis of size > 1.
    if (x.dtype !== 'float32' || reps.length !== rank || (firstLarger >= 0 && lastRepeated >= firstLarger)) return original(args);
    const b = backend as unknown as WasmBackend;
    const out = b.makeOutput(x.shape.map((d, i) => d * reps[i]!), 'float32');
    const dst = b.typedArrayFromHeap(out);
    const src = b.typedArrayFromHeap(x);
    dst.set(src);
    for (let filled = src.length; filled < dst.length; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
    return out;
  };
}

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
  const [xs, g, mu, inv, gam, dx] = [x, dy, mean, invStd, gamma, dxInfo].map((t) => b.typedArrayFromHeap(t)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
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

let registered = false;

/** Replaces the wasm backend's slow or missing gradient kernels. Idempotent. */
export function registerFastWasmKernels(): void {
  if (registered) return;
  const replace = (kernelName: string, make: (original: KernelFunc) => KernelFunc) => {
    const existing = getKernel(kernelName, BACKEND);
    if (existing) unregisterKernel(kernelName, BACKEND);
    const config: KernelConfig = { kernelName, backendName: BACKEND, kernelFunc: make(existing?.kernelFunc ?? missing(kernelName)) };
    registerKernel(config);
  };
  replace('BatchMatMul', makeBatchMatMul);
  replace('Conv2DBackpropFilter', () => conv2DBackpropFilter);
  replace('Conv2DBackpropInput', makeConv2DBackpropInput);
  replace('MaxPoolGrad', () => maxPoolGrad);
  replace('Sum', makeChannelReduce(false));
  replace('Mean', makeChannelReduce(true));
  replace('Tile', makeTile);
  replace('Identity', makeSharedCopy);
  replace('Cast', makeSharedCopy);
  replace(BN_GRAD_KERNEL, () => batchNormTrainingGrad);
  registered = true;
}

function missing(name: string): KernelFunc {
  return () => {
    throw new Error(`${name} has no wasm fallback`);
  };
}
