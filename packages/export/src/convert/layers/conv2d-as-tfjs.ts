import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import type { Conv2DOp, TensorState, TfjsBackendArithmetic } from '../types.ts';
import type { padsFor } from './padding.ts';
import { hwioToOihw } from '../../layout.ts';

/**
 * A one-channel Conv2D and the BatchNormalization folded into it, computed
 * with the very float operations of a tfjs backend (wasm or cpu), so that its
 * output is bit-identical to tfjs's there (conv2d-as-tfjs.test.ts).
 *
 * Why: an explanation routes the gradient through each ReLU and max-pool
 * decision of the forward pass. Where two values of a pooling window lie
 * within float rounding of each other, onnxruntime's fused conv (kernel × BN
 * scale, FMA accumulation) and tfjs's (conv, then batch norm) may pick
 * different winners, and the map differs from tfjs's autodiff. On the CNNs
 * about half of such differences sit in the first layer (docs/explain-parity.md),
 * whose few operations can be written out exactly; deeper layers' sums run to
 * hundreds of terms in orders that the runtimes choose.
 *
 * tfjs's wasm arithmetic, as measured against it:
 *  - Conv2D (XNNPACK): the accumulator starts at the bias (0 without one),
 *    then adds each tap's product in (row, column) order, product and sum
 *    each rounded to float32 (wasm SIMD has no fused multiply-add);
 *  - FusedBatchNorm: beta + ((x − mean) · gamma) / sqrt(variance + ε), with
 *    x − mean and the product in float32, sqrt(variance + ε) in float32, and
 *    the division and the addition in float64, rounded to float32 once.
 * ONNX states the same: a Slice per tap, Mul and Add in float32, then the
 * division and the addition on float64 tensors (Cast), cast back.
 *
 * tfjs's cpu backend, as read in its kernels and measured:
 *  - Conv2D: each output is summed from 0 in (row, column) order into a
 *    Float32Array, which onnxruntime's own Conv reproduces bit for bit on a
 *    one-channel input, the bias added to the rounded sum as Conv adds it;
 *  - FusedBatchNorm: beta + (x − mean) · gamma / sqrt(variance + ε), all in
 *    float64, rounded to float32 once: here x · a + b with a and b in
 *    float64 (a BatchNormalization on float64 tensors, one op), which rounds
 *    to the same float32 unless the two float64 results straddle a float32
 *    rounding midpoint (they differ by about 1e-16 of the value).
 *
 * Opt-in (`--exact-first-layer wasm|cpu`): it mends about half of the CNNs'
 * differing maps, but costs time: the wasm form's 23 passes over the layer's
 * maps make the explanation graphs 0.57-0.80x as fast, the cpu form's two
 * casts and float64 batch norm 0.82-0.99x (docs/explain-parity.md).
 */
export function emitConv2DAsTfjs(
  graph: GraphBuilder,
  op: Conv2DOp,
  x: TensorState,
  rows: ReturnType<typeof padsFor>,
  cols: ReturnType<typeof padsFor>,
  backend: TfjsBackendArithmetic,
): string {
  if (backend === 'cpu') return emitConv2DAsTfjsCpu(graph, op, x, rows, cols);
  const { layer } = op;
  const name = (what: string) => graph.uniqueName(`${layer.name}/as_tfjs/${what}`);
  const own = op.unfolded ?? { kernel: op.kernel, bias: op.bias };
  const [kh, kw, cin, cout] = own.kernel.shape as [number, number, number, number];
  const [sh, sw] = op.strides;
  const channelDims = [1, cout, 1, 1];
  if (cin !== 1) throw new Error(`internal: ${layer.name} has ${cin} input channels; only one-channel convolutions are written tap by tap`);

  let padded = x.name;
  if (rows.before + rows.after + cols.before + cols.after > 0) {
    padded = name('padded');
    const pads = graph.addInt64Initializer(`${layer.name}/as_tfjs/pads`, [0, 0, rows.before, cols.before, 0, 0, rows.after, cols.after]);
    graph.addNode('Pad', [x.name, pads], [padded], { mode: 'constant' });
  }
  const axes = graph.addInt64Initializer(`${layer.name}/as_tfjs/axes`, [2, 3]);
  const steps = graph.addInt64Initializer(`${layer.name}/as_tfjs/steps`, [sh, sw]);

  let acc: string | undefined;
  if (own.bias) acc = graph.addInitializer(`${layer.name}/as_tfjs/bias`, own.bias.data, channelDims);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      const starts = graph.addInt64Initializer(`${layer.name}/as_tfjs/starts`, [r, c]);
      const ends = graph.addInt64Initializer(`${layer.name}/as_tfjs/ends`, [r + sh * (rows.out - 1) + 1, c + sw * (cols.out - 1) + 1]);
      const tap = name(`tap${r}${c}`);
      graph.addNode('Slice', [padded, starts, ends, axes, steps], [tap]);
      const weights = new Float32Array(cout);
      for (let o = 0; o < cout; o++) weights[o] = own.kernel.data[(r * kw + c) * cout + o]!;
      const product = name(`product${r}${c}`);
      graph.addNode('Mul', [tap, graph.addInitializer(`${layer.name}/as_tfjs/w${r}${c}`, weights, channelDims)], [product]);
      if (acc === undefined) acc = product;
      else {
        const sum = name(`sum${r}${c}`);
        graph.addNode('Add', [acc, product], [sum]);
        acc = sum;
      }
    }
  }
  return finishBatchNorm(graph, op, acc!, name, channelDims);
}

function finishBatchNorm(graph: GraphBuilder, op: Conv2DOp, acc: string, name: (what: string) => string, channelDims: number[]): string {
  const { layer } = op;
  if (!op.unfolded) return acc;
  const { gamma, beta, mean, variance, epsilon } = op.unfolded;
  const f32 = (values: ArrayLike<number>) => Float32Array.from(values);
  const centred = name('centred');
  graph.addNode('Sub', [acc, graph.addInitializer(`${layer.name}/as_tfjs/mean`, f32(mean), channelDims)], [centred]);
  const scaled = name('scaled');
  graph.addNode('Mul', [centred, graph.addInitializer(`${layer.name}/as_tfjs/gamma`, f32(gamma), channelDims)], [scaled]);
  const wide = name('scaled_f64');
  graph.addNode('Cast', [scaled], [wide], { to: 11 /* DOUBLE */ });
  const eps = Math.fround(epsilon);
  const deviation = Float64Array.from(variance, (v) => Math.fround(Math.sqrt(Math.fround(Math.fround(v) + eps))));
  const quotient = name('quotient_f64');
  graph.addNode('Div', [wide, graph.addDoubleInitializer(`${layer.name}/as_tfjs/deviation`, deviation, channelDims)], [quotient]);
  const shifted = name('shifted_f64');
  graph.addNode('Add', [graph.addDoubleInitializer(`${layer.name}/as_tfjs/beta`, Float64Array.from(f32(beta)), channelDims), quotient], [shifted]);
  const out = name('out');
  graph.addNode('Cast', [shifted], [out], { to: 1 /* FLOAT */ });
  return out;
}

/** The cpu backend's arithmetic (see emitConv2DAsTfjs): onnxruntime's Conv, then the batch norm in float64. */
function emitConv2DAsTfjsCpu(graph: GraphBuilder, op: Conv2DOp, x: TensorState, rows: ReturnType<typeof padsFor>, cols: ReturnType<typeof padsFor>): string {
  const { layer } = op;
  const name = (what: string) => graph.uniqueName(`${layer.name}/as_tfjs_cpu/${what}`);
  const own = op.unfolded ?? { kernel: op.kernel, bias: op.bias };
  const [kh, kw, cin, cout] = own.kernel.shape as [number, number, number, number];
  if (cin !== 1) throw new Error(`internal: ${layer.name} has ${cin} input channels; only one-channel convolutions are written as tfjs computes them`);
  const conv = name('conv');
  const bias = own.bias ? [graph.addInitializer(`${layer.name}/as_tfjs_cpu/bias`, own.bias.data, [cout])] : [];
  graph.addNode(
    'Conv',
    [x.name, graph.addInitializer(`${layer.name}/as_tfjs_cpu/kernel`, hwioToOihw(own.kernel.data, [kh, kw, cin, cout]), [cout, cin, kh, kw]), ...bias],
    [conv],
    {
      kernel_shape: [kh, kw],
      strides: op.strides,
      pads: [rows.before, cols.before, rows.after, cols.after],
      dilations: [1, 1],
      group: 1,
    },
  );
  if (!op.unfolded) return conv;
  const { gamma, beta, mean, variance, epsilon } = op.unfolded;
  const scale = Float64Array.from(variance, (v, i) => Math.fround(gamma[i]!) / Math.sqrt(Math.fround(v) + epsilon));
  const shift = Float64Array.from(scale, (a, i) => Math.fround(beta[i]!) - Math.fround(mean[i]!) * a);
  const wide = name('x_f64');
  graph.addNode('Cast', [conv], [wide], { to: 11 /* DOUBLE */ });
  const normalized = name('normalized_f64');
  const perChannel = (what: string, values: Float64Array) => graph.addDoubleInitializer(`${layer.name}/as_tfjs_cpu/${what}`, values, [cout]);
  // Mean 0 and variance 1 with ε = 1e-30 (1 + 1e-30 is 1 in float64): y = x · scale + shift, one op.
  graph.addNode(
    'BatchNormalization',
    [
      wide,
      perChannel('scale', scale),
      perChannel('shift', shift),
      perChannel('zero', new Float64Array(cout)),
      perChannel('one', new Float64Array(cout).fill(1)),
    ],
    [normalized],
    { epsilon: { float: 1e-30 } },
  );
  const out = name('out');
  graph.addNode('Cast', [normalized], [out], { to: 1 /* FLOAT */ });
  return out;
}
