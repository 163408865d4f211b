import { UnsupportedLayerError } from '../errors.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { traceInputs, type TensorState, type TraceEntry } from '../convert/types.ts';

/**
 * Reverse-mode differentiation of a traced classifier graph with standard
 * ONNX ops, exactly as tfjs differentiates the layers model. The trace is in
 * topological order (a chain, or a residual network's DAG), so walking it
 * backwards reaches every consumer of a tensor before its producer: a tensor
 * read by several ops (a block's input feeds the conv path and the shortcut)
 * gets the sum of their gradients, complete when its producer is reached.
 *  - ReLU: the gradient passes where the activation is > 0 (tfjs: dy * step(x)), as a Mul by that mask cast
 *    to float: onnxruntime runs the Mul in its blocked (NCHWc) layout beside the convolutions, where a Where
 *    had the gradient reordered out of it and back; the maps are bit-identical and a whole explanation runs
 *    faster (docs/benchmarks.md, "Explanation graphs (session 11)"). A masked negative gradient becomes -0, not 0:
 *    equal in every sum and comparison downstream.
 *  - Dense: dy · Wᵀ (Gemm transB) with the very kernel initializer of the forward pass.
 *  - Conv, stride 1, more than one input channel: a Conv of the gradient with the kernel flipped in space
 *    and its in/out channels swapped (folded by onnxruntime at load), padded
 *    by kernel - 1 - the forward pad on each side: the same sums as
 *    ConvTranspose, but on onnxruntime's Conv kernels, which are faster than its
 *    ConvTranspose: the ResNet's whole explanation runs 1.3x faster natively,
 *    the CNNs' 1.04-1.10x (docs/benchmarks.md).
 *  - Any other Conv (strided, or reading the one-channel image): ConvTranspose with the forward kernel, pads and strides, and the
 *    output_padding that restores rows/cols a stride skipped (TF's 'same'
 *    puts the odd padding at the end: pads (0, 1) for 3x3 stride 2 on 28
 *    and 14; a 1x1 stride-2 projection never reads the last row/col).
 *    A BatchNormalization is folded into its conv's kernel, so its
 *    inference-mode per-channel scale is differentiated with it.
 *  - Add: every input receives the output's gradient.
 *  - GlobalAveragePool: the gradient / (H·W), broadcast over the map.
 *  - MaxPool: each gradient goes to its window's first maximum in row-major
 *    order, as tfjs routes it, ties (all-zero windows after a ReLU) included.
 *    Windows that tile the input (stride = size, no padding: the CNNs' 2x2)
 *    find it from the pooled values (emitTiledMaxPoolGrad) and are put back by
 *    MaxUnpool; overlapping windows take MaxPool's Indices output (onnxruntime
 *    keeps the first maximum too) and a ScatterElements, where gradients add.
 *  - Flatten: a Reshape back (and the inverse Transpose if Flatten had one).
 */
export interface BackwardResult {
  /** d seed·logits / d input, shaped like the input. */
  inputGradient: string;
  /** The gradient at the Grad-CAM layer's activation, when the model has a Conv2D. */
  target?: { layerName: string; activation: TensorState; gradient: string };
}

/**
 * Index in the trace of the op whose output Grad-CAM explains. With a
 * global-average-pooling head (a ResNet) it is the maps that pooling reads:
 * the last block's ReLU after its Add. Otherwise the last conv2d, extended
 * over the activation entries right after it (a BatchNormalization variant's
 * separate ReLU), so the target is "after its ReLU, before pooling".
 */
function gradCamTargetIndex(trace: readonly TraceEntry[]): number | undefined {
  const pooling = trace.findLast((entry) => entry.kind === 'globalAveragePooling2d');
  if (pooling) {
    const producer = trace.findLastIndex((entry) => entry.output.name === pooling.input.name);
    return producer >= 0 && trace.slice(0, producer + 1).some((entry) => entry.kind === 'conv2d') ? producer : undefined;
  }
  let index: number | undefined;
  trace.forEach((entry, i) => {
    if (entry.kind === 'conv2d') index = i;
  });
  if (index === undefined) return undefined;
  while (trace[index + 1]?.kind === 'activation') index++;
  return index;
}

/** `seed` is the gradient at the trace's output (the logits); `inputName` the model input whose gradient is returned. */
export function emitBackward(graph: GraphBuilder, trace: readonly TraceEntry[], seed: string, inputName: string): BackwardResult {
  const targetIndex = gradCamTargetIndex(trace);
  const zero = graph.addInitializer('grad/zero', new Float32Array([0]), []);
  let flatShape: string | undefined; // made on first use: an unused initializer draws an onnxruntime warning
  // Slice inputs (starts, ends, axes, steps) that reverse the two spatial axes of a kh x kw kernel, one set per size.
  const flipSlices = new Map<string, string[]>();
  const flipSlice = (kh: number, kw: number): string[] => {
    const key = `${kh}x${kw}`;
    let inputs = flipSlices.get(key);
    if (!inputs) {
      inputs = [
        graph.addInt64Initializer(`grad/flip_${key}/starts`, [-1, -1]),
        // Past the first element: an end of -(size + 1) is clamped to "before index 0" for a negative step.
        graph.addInt64Initializer(`grad/flip_${key}/ends`, [-(kh + 1), -(kw + 1)]),
        graph.addInt64Initializer(`grad/flip_${key}/axes`, [2, 3]),
        graph.addInt64Initializer(`grad/flip_${key}/steps`, [-1, -1]),
      ];
      flipSlices.set(key, inputs);
    }
    return inputs;
  };
  const last = trace[trace.length - 1];
  if (!last) throw new Error('internal: nothing traced to differentiate');
  // The gradient reaching each tensor so far, by tensor name.
  const gradients = new Map<string, string>([[last.output.name, seed]]);
  const accumulate = (tensor: TensorState, gradient: string, layerName: string) => {
    const earlier = gradients.get(tensor.name);
    if (earlier === undefined) {
      gradients.set(tensor.name, gradient);
      return;
    }
    const sum = graph.uniqueName(`${layerName}/grad/fan_out_sum`);
    graph.addNode('Add', [earlier, gradient], [sum]);
    gradients.set(tensor.name, sum);
  };
  let target: BackwardResult['target'];
  // ReLU outputs whose mask a max-pool's backward already applied on its (smaller) pooled grid.
  const maskedBelow = new Set<string>();
  let batchIndex: string | undefined; // [N, 1, 1, 1] int64 0..N-1, made on first use
  for (let i = trace.length - 1; i >= 0; i--) {
    const entry = trace[i]!;
    const incoming = gradients.get(entry.output.name);
    if (incoming === undefined) continue; // Does not reach the logits.
    gradients.delete(entry.output.name);
    let g = incoming;
    if (i === targetIndex) target = { layerName: entry.layerName, activation: entry.output, gradient: g };
    const name = (what: string) => graph.uniqueName(`${entry.layerName}/grad/${what}`);
    const activationGrad = (activation: string): string => {
      if (activation === 'linear' || maskedBelow.has(entry.output.name)) return g;
      if (activation !== 'relu')
        throw new UnsupportedLayerError(
          entry.layerName,
          entry.kind,
          `activation: "${activation}"`,
          'explanations differentiate relu and linear activations only (a softmax is allowed only as the last layer)',
        );
      const positive = name('relu_mask');
      graph.addNode('Greater', [entry.output.name, zero], [positive]);
      const mask = name('relu_mask_f');
      graph.addNode('Cast', [positive], [mask], { to: 1 });
      const out = name('relu');
      graph.addNode('Mul', [g, mask], [out]);
      return out;
    };
    switch (entry.kind) {
      case 'activation':
        g = activationGrad(entry.activation);
        break;
      case 'dense': {
        const pre = activationGrad(entry.activation);
        g = name('input');
        graph.addNode('Gemm', [pre, entry.kernel], [g], { transB: 1 });
        break;
      }
      case 'conv2d': {
        const pre = activationGrad(entry.activation);
        const [inH, inW] = entry.input.shape as [number, number, number];
        const [outH, outW] = entry.output.shape as [number, number, number];
        const [kh, kw] = entry.kernelShape;
        const [sh, sw] = entry.strides;
        const [pt, pl, pb, pr] = entry.pads as [number, number, number, number];
        g = name('input');
        // Not for a conv that reads the image: its gradient has one channel, a matrix-vector product that
        // onnxruntime's Conv does more slowly than its ConvTranspose (measured on the CNNs).
        if (sh === 1 && sw === 1 && entry.input.shape[2]! > 1) {
          // Made from the forward kernel inside the graph (Transpose, then Slice with steps -1): it depends
          // on initializers only, so onnxruntime folds it once at session creation, and the file does not
          // carry the weights twice.
          const swapped = name('kernel_swapped');
          graph.addNode('Transpose', [entry.kernel], [swapped], { perm: [1, 0, 2, 3] });
          const flipped = name('kernel_flipped');
          graph.addNode('Slice', [swapped, ...flipSlice(kh, kw)], [flipped]);
          graph.addNode('Conv', [pre, flipped], [g], {
            kernel_shape: [kh, kw],
            strides: [1, 1],
            pads: [kh - 1 - pt, kw - 1 - pl, kh - 1 - pb, kw - 1 - pr],
            dilations: [1, 1],
            group: 1,
          });
          break;
        }
        // ConvTranspose's natural output size can fall short of the input when the stride skipped rows/cols.
        const outputPadding = [inH - ((outH - 1) * sh + kh - pt - pb), inW - ((outW - 1) * sw + kw - pl - pr)];
        graph.addNode('ConvTranspose', [pre, entry.kernel], [g], {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: entry.pads,
          dilations: [1, 1],
          group: 1,
          output_padding: outputPadding,
        });
        break;
      }
      case 'maxPooling2d': {
        const shape = name('shape');
        graph.addNode('Shape', [entry.input.name], [shape]);
        if (entry.indices === undefined) {
          // The ReLU's mask moves onto the pooled grid only when the pool is the ReLU output's sole reader: the
          // gradient lands on each window's maximum, which is > 0 exactly where the pooled value is.
          const producer = trace[i - 1];
          const reluBelow =
            producer !== undefined &&
            i - 1 !== targetIndex &&
            producer.output.name === entry.input.name &&
            (producer.kind === 'activation' || producer.kind === 'conv2d') &&
            producer.activation === 'relu' &&
            trace.filter((other) => traceInputs(other).some((t) => t.name === entry.input.name)).length === 1;
          if (reluBelow) maskedBelow.add(producer.output.name);
          batchIndex ??= emitBatchIndex(graph, inputName);
          g = emitTiledMaxPoolGrad(graph, entry, g, shape, batchIndex, reluBelow ? zero : undefined, name);
          break;
        }
        // Overlapping windows (or cells no window reads): scatter the gradients by MaxPool's Indices.
        const zeros = name('zeros');
        graph.addNode('ConstantOfShape', [shape], [zeros]);
        const [flatZeros, flatIndices, flatGrad, scattered] = [name('zeros_flat'), name('indices_flat'), name('flat'), name('scattered')];
        flatShape ??= graph.addInt64Initializer('grad/flat_shape', [-1]);
        graph.addNode('Reshape', [zeros, flatShape], [flatZeros]);
        graph.addNode('Reshape', [entry.indices, flatShape], [flatIndices]);
        graph.addNode('Reshape', [g, flatShape], [flatGrad]);
        // Indices are flat offsets into the whole [N, C, H, W] input; 'add' sums where windows overlap, as tfjs does.
        graph.addNode('ScatterElements', [flatZeros, flatIndices, flatGrad], [scattered], { axis: 0, reduction: 'add' });
        g = name('input');
        graph.addNode('Reshape', [scattered, shape], [g]);
        break;
      }
      case 'add':
        break; // Each summand's gradient is the sum's (accumulated below).
      case 'globalAveragePooling2d': {
        const [h, w, c] = entry.input.shape as [number, number, number];
        // tfjs's mean gradient: dy / (H·W), broadcast over the map (divided first, then expanded: the same rounding).
        const [column, averaged] = [name('nc11'), name('averaged')];
        graph.addNode('Reshape', [g, graph.addInt64Initializer(`${entry.layerName}/grad/nc11_shape`, [-1, c, 1, 1])], [column]);
        graph.addNode('Div', [column, graph.addInitializer(`${entry.layerName}/grad/area`, Float32Array.of(h * w), [])], [averaged]);
        g = name('input');
        graph.addNode('Expand', [averaged, graph.addInt64Initializer(`${entry.layerName}/grad/map_shape`, [1, 1, h, w])], [g]);
        break;
      }
      case 'flatten': {
        const [h, w, c] = entry.input.shape as [number, number, number];
        if (entry.transposed) {
          const nhwc = name('nhwc');
          graph.addNode('Reshape', [g, graph.addInt64Initializer(`${entry.layerName}/grad/nhwc_shape`, [-1, h, w, c])], [nhwc]);
          g = name('input');
          graph.addNode('Transpose', [nhwc], [g], { perm: [0, 3, 1, 2] });
        } else {
          const out = name('input');
          graph.addNode('Reshape', [g, graph.addInt64Initializer(`${entry.layerName}/grad/nchw_shape`, [-1, c, h, w])], [out]);
          g = out;
        }
        break;
      }
    }
    for (const input of traceInputs(entry)) accumulate(input, g, entry.layerName);
  }
  const inputGradient = gradients.get(inputName);
  if (inputGradient === undefined) throw new Error(`internal: the logits do not depend on the input '${inputName}'`);
  return { inputGradient, ...(target ? { target } : {}) };
}

/** The sample index of every batch row as an int64 [N, 1, 1, 1] column: MaxUnpool's indices count across the batch. */
function emitBatchIndex(graph: GraphBuilder, inputName: string): string {
  const [dims, n, range, column] = ['grad/batch/dims', 'grad/batch/n', 'grad/batch/range', 'grad/batch/index'].map((x) => graph.uniqueName(x)) as [
    string,
    string,
    string,
    string,
  ];
  graph.addNode('Shape', [inputName], [dims]);
  graph.addNode('Gather', [dims, graph.addInt64Initializer('grad/batch/axis', [0], [])], [n], { axis: 0 });
  graph.addNode('Range', [graph.addInt64Initializer('grad/batch/start', [0], []), n, graph.addInt64Initializer('grad/batch/step', [1], [])], [range]);
  graph.addNode('Reshape', [range, graph.addInt64Initializer('grad/batch/column', [-1, 1, 1, 1])], [column]);
  return column;
}

/**
 * The backward pass of a max-pool whose windows tile its input, without
 * MaxPool's Indices output: onnxruntime computes that output in a plain loop
 * outside its blocked layout, at 10-20x the pool itself (a third of a CNN
 * explanation). Each window's first maximum in row-major order is found as
 * tfjs and MaxPool's Indices find it, ties (all-zero windows after a ReLU)
 * included: the cells equal to the upsampled maximum are marked, the marks
 * weighted by a rank that falls in row-major order (area - offset), and the
 * max-pool of those weights is the first marked cell's rank, from which its
 * flat index follows; MaxUnpool then places the gradients as before.
 * `reluZero`, when set, applies the ReLU mask that reads the pool's input on
 * the pooled grid, a quarter of the values.
 */
function emitTiledMaxPoolGrad(
  graph: GraphBuilder,
  entry: Extract<TraceEntry, { kind: 'maxPooling2d' }>,
  g: string,
  inputShape: string,
  batchIndex: string,
  reluZero: string | undefined,
  name: (what: string) => string,
): string {
  const [kh, kw] = entry.kernelShape;
  const [h, w, c] = entry.input.shape as [number, number, number];
  const area = h * w;
  // Ranks are exact in float32 below 2^24.
  if (area >= 2 ** 24) throw new UnsupportedLayerError(entry.layerName, entry.kind, `a ${h}x${w} input`, 'explanations pool maps of fewer than 2^24 cells');
  const at = (what: string) => `${entry.layerName}/grad/${what}`;
  const [upMax, isMax, isMaxF, ranked, firstRank, firstRankI, sampleTop, planeTop, index] = [
    'up_max',
    'is_max',
    'is_max_f',
    'ranked',
    'first_rank',
    'first_rank_i',
    'sample_top',
    'plane_top',
    'index',
  ].map(name) as [string, string, string, string, string, string, string, string, string];
  const scales = graph.addInitializer(at('scales'), Float32Array.of(1, 1, kh, kw), [4]);
  graph.addNode('Resize', [entry.output.name, '', scales], [upMax], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  graph.addNode('Equal', [entry.input.name, upMax], [isMax]);
  graph.addNode('Cast', [isMax], [isMaxF], { to: 1 });
  graph.addNode(
    'Mul',
    [
      isMaxF,
      graph.addInitializer(
        at('rank'),
        Float32Array.from({ length: area }, (_, k) => area - k),
        [1, 1, h, w],
      ),
    ],
    [ranked],
  );
  graph.addNode('MaxPool', [ranked], [firstRank], { kernel_shape: [kh, kw], strides: [kh, kw], pads: [0, 0, 0, 0] });
  // Flat index = (n·C + c)·area + (area - rank) = (n·C + c + 1)·area - rank.
  graph.addNode('Cast', [firstRank], [firstRankI], { to: 7 });
  graph.addNode('Mul', [batchIndex, graph.addInt64Initializer(at('volume'), [c * area], [])], [sampleTop]);
  graph.addNode(
    'Add',
    [
      sampleTop,
      graph.addInt64Initializer(
        at('plane_top'),
        Array.from({ length: c }, (_, k) => (k + 1) * area),
        [1, c, 1, 1],
      ),
    ],
    [planeTop],
  );
  graph.addNode('Sub', [planeTop, firstRankI], [index]);
  let pooled = g;
  if (reluZero !== undefined) {
    const [positive, mask, masked] = [name('pooled_relu_mask'), name('pooled_relu_mask_f'), name('pooled_relu')];
    graph.addNode('Greater', [entry.output.name, reluZero], [positive]);
    graph.addNode('Cast', [positive], [mask], { to: 1 });
    graph.addNode('Mul', [g, mask], [masked]);
    pooled = masked;
  }
  const placed = name('input');
  graph.addNode('MaxUnpool', [pooled, index, inputShape], [placed], { kernel_shape: [kh, kw], strides: [kh, kw] });
  return placed;
}
