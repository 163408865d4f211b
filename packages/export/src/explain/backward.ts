import { UnsupportedLayerError } from '../errors.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import type { TensorState, TraceEntry } from '../convert/types.ts';

/**
 * Reverse-mode differentiation of a traced classifier graph with standard
 * ONNX ops, exactly as tfjs differentiates the layers model:
 *  - ReLU: the gradient passes where the activation is > 0 (tfjs: dy * step(x)).
 *  - Dense: dy · Wᵀ (Gemm transB) with the very kernel initializer of the forward pass.
 *  - Conv: ConvTranspose with the forward kernel, pads and strides.
 *  - MaxPool: each gradient goes to its window's argmax, taken from MaxPool's
 *    Indices output; onnxruntime and tfjs both keep the first maximum in
 *    row-major window order, so ties (all-zero windows after a ReLU) route alike.
 *  - Flatten: a Reshape back (and the inverse Transpose if Flatten had one).
 */
export interface BackwardResult {
  /** d seed·logits / d input, shaped like the input. */
  inputGradient: string;
  /** The gradient at the Grad-CAM layer (the last Conv2D's output after its activation), when the model has a Conv2D. */
  target?: { layerName: string; activation: TensorState; gradient: string };
}

/**
 * Index of the Grad-CAM target in the trace: the last conv2d, extended over
 * the activation entries right after it (a BatchNormalization variant's
 * separate ReLU), so the target is "after its ReLU, before pooling".
 */
export function gradCamTargetIndex(trace: readonly TraceEntry[]): number | undefined {
  let index: number | undefined;
  trace.forEach((entry, i) => {
    if (entry.kind === 'conv2d') index = i;
  });
  if (index === undefined) return undefined;
  while (trace[index + 1]?.kind === 'activation') index++;
  return index;
}

export function emitBackward(graph: GraphBuilder, trace: readonly TraceEntry[], seed: string): BackwardResult {
  const targetIndex = gradCamTargetIndex(trace);
  const zero = graph.addInitializer('grad/zero', new Float32Array([0]), []);
  let flatShape: string | undefined; // made on first use: an unused initializer draws an onnxruntime warning
  let g = seed;
  let target: BackwardResult['target'];
  for (let i = trace.length - 1; i >= 0; i--) {
    const entry = trace[i]!;
    if (i === targetIndex) target = { layerName: entry.layerName, activation: entry.output, gradient: g };
    const name = (what: string) => graph.uniqueName(`${entry.layerName}/grad/${what}`);
    const activationGrad = (activation: string): string => {
      if (activation === 'linear') return g;
      if (activation !== 'relu') throw new UnsupportedLayerError(entry.layerName, entry.kind, `activation: "${activation}"`, 'explanations differentiate relu and linear activations only (a softmax is allowed only as the last layer)');
      const positive = name('relu_mask');
      graph.addNode('Greater', [entry.output.name, zero], [positive]);
      const out = name('relu');
      graph.addNode('Where', [positive, g, zero], [out]);
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
        // ConvTranspose's natural output size can fall short of the input when the stride skipped rows/cols.
        const outputPadding = [inH - ((outH - 1) * sh + kh - pt - pb), inW - ((outW - 1) * sw + kw - pl - pr)];
        g = name('input');
        graph.addNode('ConvTranspose', [pre, entry.kernel], [g], { kernel_shape: [kh, kw], strides: [sh, sw], pads: entry.pads, dilations: [1, 1], group: 1, output_padding: outputPadding });
        break;
      }
      case 'maxPooling2d': {
        const shape = name('shape');
        graph.addNode('Shape', [entry.input.name], [shape]);
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
  }
  return { inputGradient: g, ...(target ? { target } : {}) };
}
