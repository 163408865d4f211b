import { input, intsAttr, UnsupportedGraphError, type Kernel } from '../tensor.ts';
import { window2D } from './window.ts';

/** 2-D max pooling, NCHW; padding never wins (it is -infinity, as ONNX says). */
export const MaxPool: Kernel = (inputs, attrs) => {
  const x = input(inputs, 0, 'MaxPool');
  if (x.dims.length !== 4) throw new UnsupportedGraphError(`MaxPool over a rank-${x.dims.length} input`);
  const [n, c, h, w] = x.dims as [number, number, number, number];
  const g = window2D('MaxPool', attrs, h, w, intsAttr(attrs, 'kernel_shape', []));
  const out = new Float32Array(n * c * g.outH * g.outW);
  let k = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx;
            if (ix >= 0 && ix < w) max = Math.max(max, x.data[base + iy * w + ix]!);
          }
        }
        out[k++] = max;
      }
    }
  }
  return { dims: [n, c, g.outH, g.outW], data: out };
};
