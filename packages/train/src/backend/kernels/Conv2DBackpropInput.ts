import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { convDims, convInfoOf, explicitPad, type ConvGradAttrs } from './conv-geometry.ts';
import { call, dispose, kernel, type WasmBackend, type WasmKernelReplacement } from './wasm-backend.ts';

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
  const { n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left } = convDims(info);
  const phases: { py: number; px: number; rows: number; cols: number; ty: ReturnType<typeof phaseTaps>; tx: ReturnType<typeof phaseTaps>; pads: number[] }[] =
    [];
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
      for (let i = 0; i < n; i++)
        for (let r = 0; r < rows; r++)
          for (let q = 0; q < cols; q++) out.fill(0, ((i * h + r * sh + py) * w + q * sw + px) * ci, ((i * h + r * sh + py) * w + q * sw + px + 1) * ci);
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
    const phase = call(kernel('Conv2D'), { x: dy, filter: sub }, b, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: explicitPad(pads[0]!, pads[1]!, pads[2]!, pads[3]!),
      dataFormat: 'NHWC',
    });
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

export const conv2DBackpropInputReplacement: WasmKernelReplacement = { kernelName: 'Conv2DBackpropInput', wrap: makeConv2DBackpropInput };
