import { intAttr, intsAttr, UnsupportedGraphError, type Attributes } from '../tensor.ts';

/** A 2-D sliding window (Conv, MaxPool): explicit pads, strides, no dilation, no auto_pad. */
export interface Window2D {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

export function window2D(op: string, attrs: Attributes, h: number, w: number, kernel: readonly number[]): Window2D {
  const autoPad = attrs.get('auto_pad');
  if (autoPad !== undefined && autoPad !== 'NOTSET') throw new UnsupportedGraphError(`${op}: auto_pad ${String(autoPad)}`);
  if (intsAttr(attrs, 'dilations', [1, 1]).some((d) => d !== 1)) throw new UnsupportedGraphError(`${op}: dilations`);
  if (intAttr(attrs, 'ceil_mode', 0) !== 0) throw new UnsupportedGraphError(`${op}: ceil_mode`);
  const [kh, kw] = kernel as [number, number];
  const [sh, sw] = intsAttr(attrs, 'strides', [1, 1]) as [number, number];
  const [padTop, padLeft, padBottom, padRight] = intsAttr(attrs, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  return {
    kh,
    kw,
    sh,
    sw,
    padTop,
    padLeft,
    outH: Math.floor((h + padTop + padBottom - kh) / sh) + 1,
    outW: Math.floor((w + padLeft + padRight - kw) / sw) + 1,
  };
}

/** The output positions o (0 <= o < out) whose input position o*stride - pad + k lies in [0, size). */
export function validRange(out: number, stride: number, pad: number, k: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - k) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - k) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}
