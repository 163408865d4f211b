import type { GraphBuilder } from '../onnx/graph-builder.ts';
import type { LayerSpec, WeightSpec } from '../model/spec.ts';

export type ActivationName = 'linear' | 'relu' | 'softmax';

/**
 * The tensor flowing between layers, as the converter tracks it.
 * `spatial`: ONNX holds it NCHW; `shape` is tfjs's [H, W, C].
 * `flat`: [N, features]; `shape` is [features].
 */
export interface TensorState {
  name: string;
  layout: 'spatial' | 'flat';
  shape: number[];
  /**
   * Set after an ONNX Flatten of an NCHW tensor whose features are therefore
   * in C,H,W order while tfjs (channels-last) orders them H,W,C. The next
   * Dense permutes its kernel rows to match, so no runtime Transpose is needed.
   */
  chwFrom?: [number, number, number];
}

export interface DenseOp {
  kind: 'dense';
  layer: LayerSpec;
  kernel: WeightSpec;
  bias: WeightSpec | undefined;
  activation: ActivationName;
}

export interface Conv2DOp {
  kind: 'conv2d';
  layer: LayerSpec;
  kernel: WeightSpec;
  bias: WeightSpec | undefined;
  activation: ActivationName;
  strides: [number, number];
  padding: 'valid' | 'same';
  /** Set when a BatchNormalization was folded into `kernel` and `bias`: the layers as tfjs runs them. */
  unfolded?: UnfoldedBatchNorm;
}

/** A Conv2D's own weights and the inference-mode BatchNormalization folded into it, kept for tfjs-exact arithmetic. */
export interface UnfoldedBatchNorm {
  kernel: WeightSpec;
  bias: WeightSpec | undefined;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
  epsilon: number;
}

export interface MaxPooling2DOp {
  kind: 'maxPooling2d';
  layer: LayerSpec;
  poolSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
}

export interface FlattenOp {
  kind: 'flatten';
  layer: LayerSpec;
}

export interface ActivationOp {
  kind: 'activation';
  layer: LayerSpec;
  activation: ActivationName;
}

/** One step of the inference graph after Dropout removal and BatchNormalization folding. */
export type Op = DenseOp | Conv2DOp | MaxPooling2DOp | FlattenOp | ActivationOp;

export interface EmitContext {
  graph: GraphBuilder;
  /** The ops after the one being emitted (Flatten looks ahead for a Dense). */
  rest: readonly Op[];
  /**
   * Set by the explanation builder, which differentiates the graph: each
   * emitter appends what its backward pass needs (tensor and weight names),
   * and a MaxPool whose windows do not tile its input also outputs its argmax
   * indices (tiling windows find their maxima from the pooled values).
   */
  trace?: TraceEntry[];
  /**
   * Set by the explanation builder: a one-channel Conv2D (a CNN's first
   * layer) and the BatchNormalization folded into it are computed as this
   * tfjs backend computes them, bit for bit (conv2d-as-tfjs.ts), so that the
   * ReLU and max-pool decisions below them fall as in tfjs's autodiff there.
   */
  exactFirstLayer?: TfjsBackendArithmetic | undefined;
}

/** The tfjs backends whose float arithmetic conv2d-as-tfjs.ts reproduces (the explanation parity's references). */
export const TFJS_ARITHMETIC = ['cpu', 'wasm'] as const;
export type TfjsBackendArithmetic = (typeof TFJS_ARITHMETIC)[number];

/** A convolution's or pooling's window over the input, as ONNX states it (pads: top, left, bottom, right). */
export interface SlidingWindow {
  kernelShape: [number, number];
  strides: [number, number];
  pads: number[];
}

/** One emitted op as the backward pass sees it; `output` is after any fused activation. */
export type TraceEntry =
  | { kind: 'dense'; layerName: string; input: TensorState; output: TensorState; kernel: string; activation: ActivationName }
  | ({
      kind: 'conv2d';
      layerName: string;
      input: TensorState;
      output: TensorState;
      kernel: string;
      activation: ActivationName;
    } & SlidingWindow)
  | ({ kind: 'maxPooling2d'; layerName: string; input: TensorState; output: TensorState; indices?: string } & SlidingWindow)
  | { kind: 'flatten'; layerName: string; input: TensorState; output: TensorState; transposed: boolean }
  | { kind: 'activation'; layerName: string; input: TensorState; output: TensorState; activation: ActivationName }
  | { kind: 'add'; layerName: string; inputs: TensorState[]; output: TensorState }
  | { kind: 'globalAveragePooling2d'; layerName: string; input: TensorState; output: TensorState };

/** The tensors a traced op read (an Add reads several; a tensor read by several ops fans out). */
export function traceInputs(entry: TraceEntry): TensorState[] {
  return entry.kind === 'add' ? entry.inputs : [entry.input];
}
