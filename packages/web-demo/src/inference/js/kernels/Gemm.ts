import { input, intAttr, UnsupportedGraphError, type Attributes, type Kernel, type Tensor } from '../tensor.ts';

function floatAttr(attrs: Attributes, name: string): number {
  const v = attrs.get(name);
  return typeof v === 'number' ? v : 1;
}

interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * Transposed copies, by tensor: a weight (an initializer, the same object on every run) is
 * transposed once, not on every image; an activation's entry goes with it.
 */
const transposed = new WeakMap<Tensor, Matrix>();

/** Row-major [rows, cols] view of `t`, transposed if asked: a copy, so the product below reads both operands contiguously. */
function matrix(t: Tensor, transpose: boolean): Matrix {
  const [r, c] = t.dims as [number, number];
  if (!transpose) return { rows: r, cols: c, data: t.data };
  const cached = transposed.get(t);
  if (cached) return cached;
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
  const result = { rows: c, cols: r, data };
  transposed.set(t, result);
  return result;
}

/** Row i of A times every row of B' (both contiguous): a small function, which V8 optimizes early (the first image runs cold). */
function productRow(ad: Float32Array, ai: number, bd: Float32Array, k: number, n: number, alpha: number, out: Float32Array, o: number): void {
  for (let j = 0; j < n; j++) {
    const bj = j * k;
    let sum = 0;
    for (let p = 0; p < k; p++) sum += ad[ai + p]! * bd[bj + p]!;
    out[o + j] = alpha * sum;
  }
}

/** alpha * A' B' + beta * C, with C a row vector, a scalar or a full [M, N] matrix. */
export const Gemm: Kernel = (inputs, attrs) => {
  const a = matrix(input(inputs, 0, 'Gemm'), intAttr(attrs, 'transA', 0) === 1);
  // B as [N, K] (transposed unless transB): each output is then a dot product of two contiguous rows.
  const bt = matrix(input(inputs, 1, 'Gemm'), intAttr(attrs, 'transB', 0) !== 1);
  const cIn = inputs[2];
  const alpha = floatAttr(attrs, 'alpha');
  const beta = floatAttr(attrs, 'beta');
  const m = a.rows;
  const k = a.cols;
  const n = bt.rows;
  if (bt.cols !== k) throw new UnsupportedGraphError(`Gemm: [${m}, ${k}] times [${bt.cols}, ${n}]`);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) productRow(a.data, i * k, bt.data, k, n, alpha, out, i * n);
  if (cIn) {
    const cl = cIn.data.length;
    if (cl !== 1 && cl !== n && cl !== m * n) throw new UnsupportedGraphError(`Gemm: C of shape [${cIn.dims}] for [${m}, ${n}]`);
    for (let i = 0; i < m * n; i++) out[i]! += beta * cIn.data[cl === 1 ? 0 : cl === n ? i % n : i]!;
  }
  return { dims: [m, n], data: out };
};
