import { input, intAttr, UnsupportedGraphError, type Kernel } from '../tensor.ts';

/** Over the last axis (opset 13's default; the classifiers' [N, 10] rows). */
export const Softmax: Kernel = (inputs, attrs) => {
  const x = input(inputs, 0, 'Softmax');
  const rank = x.dims.length;
  const raw = intAttr(attrs, 'axis', -1);
  if ((raw < 0 ? raw + rank : raw) !== rank - 1) throw new UnsupportedGraphError(`Softmax over axis ${raw} of a rank-${rank} tensor`);
  const n = x.dims[rank - 1]!;
  const out = new Float32Array(x.data.length);
  for (let row = 0; row < x.data.length; row += n) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) max = Math.max(max, x.data[row + i]!);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(x.data[row + i]! - max);
    for (let i = 0; i < n; i++) out[row + i] = Math.exp(x.data[row + i]! - max) / sum;
  }
  return { dims: x.dims, data: out };
};
