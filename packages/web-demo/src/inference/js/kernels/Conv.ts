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
  for (let b = 0; b < n; b++) {
    patches.fill(0);
    for (let ic = 0; ic < c; ic++) {
      const xi = (b * c + ic) * h * width;
      for (let ky = 0; ky < kh; ky++) {
        const [y0, y1] = rows[ky]!;
        for (let kx = 0; kx < kw; kx++) {
          const [x0, x1] = cols[kx]!;
          const t = (ic * kh + ky) * kw + kx;
          for (let oy = y0; oy < y1; oy++) {
            const src = xi + (oy * g.sh - g.padTop + ky) * width - g.padLeft + kx;
            for (let ox = x0; ox < x1; ox++) patches[(oy * g.outW + ox) * taps + t] = x.data[src + ox * g.sw]!;
          }
        }
      }
    }
    const o = b * m * plane;
    let oc = 0;
    for (; oc + 4 <= m; oc += 4) {
      const w0 = oc * taps;
      const w1 = w0 + taps;
      const w2 = w1 + taps;
      const w3 = w2 + taps;
      for (let j = 0; j < plane; j++) {
        const p = j * taps;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let t = 0; t < taps; t++) {
          const v = patches[p + t]!;
          s0 += w.data[w0 + t]! * v;
          s1 += w.data[w1 + t]! * v;
          s2 += w.data[w2 + t]! * v;
          s3 += w.data[w3 + t]! * v;
        }
        out[o + oc * plane + j] = s0 + (bias ? bias.data[oc]! : 0);
        out[o + (oc + 1) * plane + j] = s1 + (bias ? bias.data[oc + 1]! : 0);
        out[o + (oc + 2) * plane + j] = s2 + (bias ? bias.data[oc + 2]! : 0);
        out[o + (oc + 3) * plane + j] = s3 + (bias ? bias.data[oc + 3]! : 0);
      }
    }
    for (; oc < m; oc++) {
      const w0 = oc * taps;
      for (let j = 0; j < plane; j++) {
        const p = j * taps;
        let s = 0;
        for (let t = 0; t < taps; t++) s += w.data[w0 + t]! * patches[p + t]!;
        out[o + oc * plane + j] = s + (bias ? bias.data[oc]! : 0);
      }
    }
  }
  return { dims: [n, m, g.outH, g.outW], data: out };
};
