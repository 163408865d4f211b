import { input, intAttr, UnsupportedGraphError, type Kernel } from '../tensor.ts';
import { validRange, window2D } from './window.ts';

/**
 * 2-D convolution, NCHW, one group, as im2col and a matrix product (the
 * first image's whole budget is a few milliseconds of this).
 */
export const Conv: Kernel = (inputs, attrs) => {
  const x = input(inputs, 0, 'Conv');
  const w = input(inputs, 1, 'Conv');
  const bias = inputs[2];
  if (intAttr(attrs, 'group', 1) !== 1) throw new UnsupportedGraphError('Conv: grouped convolution');
  if (x.dims.length !== 4) throw new UnsupportedGraphError(`Conv over a rank-${x.dims.length} input`);
  const [n, c, h, width] = x.dims as [number, number, number, number];
  const [m, wc, kh, kw] = w.dims as [number, number, number, number];
  if (wc !== c) throw new UnsupportedGraphError(`Conv: ${c} input channels, weights for ${wc}`);
  const g = window2D('Conv', attrs, h, width, [kh, kw]);
  const plane = g.outH * g.outW;
  const taps = c * kh * kw;
  const rows = Array.from({ length: kh }, (_, ky) => validRange(g.outH, g.sh, g.padTop, ky, h));
  const cols = Array.from({ length: kw }, (_, kx) => validRange(g.outW, g.sw, g.padLeft, kx, width));
  // im2col, transposed: output pixel j's receptive field is one contiguous run of `taps` values (0 where it is padding),
  // so each output value is a dot product held in a register, four output channels sharing each load.
  const patches = new Float32Array(plane * taps);
  const out = new Float32Array(n * m * plane);
  const pd = patches;
  const wd = w.data;
  const xd = x.data;
  for (let b = 0; b < n; b++) {
    patches.fill(0);
    for (let ic = 0; ic < c; ic++) {
      const xi = (b * c + ic) * h * width;
      for (let ky = 0; ky < kh; ky++) {
        const [y0, y1] = rows[ky]!;
        for (let kx = 0; kx < kw; kx++) {
          const [x0, x1] = cols[kx]!;
          const t = (ic * kh + ky) * kw + kx;
          for (let oy = y0; oy < y1; oy++)
            gather(pd, oy * g.outW * taps + t, taps, xd, xi + (oy * g.sh - g.padTop + ky) * width - g.padLeft + kx, g.sw, x0, x1);
        }
      }
    }
    const o = b * m * plane;
    let oc = 0;
    for (; oc + 4 <= m; oc += 4) dot4(pd, wd, out, taps, plane, o + oc * plane, oc * taps, bias?.data, oc);
    for (; oc < m; oc++) dot1(pd, wd, out, taps, plane, o + oc * plane, oc * taps, bias ? bias.data[oc]! : 0);
  }
  return { dims: [n, m, g.outH, g.outW], data: out };
};

/**
 * Four output channels (weights from w0, rows of `taps`) over every output pixel, two pixels
 * at a time so that each weight load serves two products. A function of its own: V8 optimizes
 * a small hot function sooner than one inner loop of a large one, and the first image runs cold.
 */
function dot4(
  pd: Float32Array,
  wd: Float32Array,
  out: Float32Array,
  taps: number,
  plane: number,
  o: number,
  w0: number,
  bias: Float32Array | undefined,
  oc: number,
): void {
  const w1 = w0 + taps;
  const w2 = w1 + taps;
  const w3 = w2 + taps;
  const b0 = bias ? bias[oc]! : 0;
  const b1 = bias ? bias[oc + 1]! : 0;
  const b2 = bias ? bias[oc + 2]! : 0;
  const b3 = bias ? bias[oc + 3]! : 0;
  let j = 0;
  for (; j + 2 <= plane; j += 2) {
    const p = j * taps;
    const q = p + taps;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let r0 = 0;
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    for (let t = 0; t < taps; t++) {
      const u = pd[p + t]!;
      const v = pd[q + t]!;
      const a0 = wd[w0 + t]!;
      const a1 = wd[w1 + t]!;
      const a2 = wd[w2 + t]!;
      const a3 = wd[w3 + t]!;
      s0 += a0 * u;
      s1 += a1 * u;
      s2 += a2 * u;
      s3 += a3 * u;
      r0 += a0 * v;
      r1 += a1 * v;
      r2 += a2 * v;
      r3 += a3 * v;
    }
    out[o + j] = s0 + b0;
    out[o + plane + j] = s1 + b1;
    out[o + 2 * plane + j] = s2 + b2;
    out[o + 3 * plane + j] = s3 + b3;
    out[o + j + 1] = r0 + b0;
    out[o + plane + j + 1] = r1 + b1;
    out[o + 2 * plane + j + 1] = r2 + b2;
    out[o + 3 * plane + j + 1] = r3 + b3;
  }
  for (; j < plane; j++) {
    const p = j * taps;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < taps; t++) {
      const v = pd[p + t]!;
      s0 += wd[w0 + t]! * v;
      s1 += wd[w1 + t]! * v;
      s2 += wd[w2 + t]! * v;
      s3 += wd[w3 + t]! * v;
    }
    out[o + j] = s0 + b0;
    out[o + plane + j] = s1 + b1;
    out[o + 2 * plane + j] = s2 + b2;
    out[o + 3 * plane + j] = s3 + b3;
  }
}

/** One output channel, for a channel count that is not a multiple of 4. */
function dot1(pd: Float32Array, wd: Float32Array, out: Float32Array, taps: number, plane: number, o: number, w0: number, b0: number): void {
  for (let j = 0; j < plane; j++) {
    const p = j * taps;
    let s = 0;
    for (let t = 0; t < taps; t++) s += wd[w0 + t]! * pd[p + t]!;
    out[o + j] = s + b0;
  }
}

/** One row of im2col: output pixels x0..x1-1 of a row take their tap from every `stride`-th input value. */
function gather(pd: Float32Array, dst: number, step: number, xd: Float32Array, src: number, stride: number, x0: number, x1: number): void {
  for (let ox = x0; ox < x1; ox++) pd[dst + ox * step] = xd[src + ox * stride]!;
}
