import { INPUT_CONTRACT, OUTPUT_NAMES } from '@fmnist/core';
import { UnsupportedModelError } from '../errors.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import type { ModelSpec } from '../model/spec.ts';
import { planLayers } from './plan.ts';
import { emitGraph, planGraph } from './branching.ts';
import { isBranching } from '../model/spec.ts';
import type { EmitContext, Op, TensorState, TfjsBackendArithmetic, TraceEntry } from './types.ts';
import { emitActivation } from './layers/activation.ts';
import { emitConv2D } from './layers/conv2d.ts';
import { emitDense } from './layers/dense.ts';
import { emitFlatten } from './layers/flatten.ts';
import { emitMaxPooling2D } from './layers/max-pooling2d.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from '../version.ts';

export interface ConvertOptions {
  /** Graph name, e.g. 'mlp'. */
  name: string;
  /** metadata_props entries (see metadata.ts). */
  metadata?: Record<string, string>;
  /** Weight-only int8 (QDQ) variant: kernels stored int8 behind DequantizeLinear. */
  int8?: boolean;
  /** Calibration: `probabilities` = Softmax(logits / temperature); `logits` stay the model's own. */
  temperature?: number;
}

export interface ConvertResult {
  bytes: Uint8Array;
  /** ONNX input dims, batch first ('N'): [N, C, H, W] for image models, [N, F] for flat ones. */
  inputDims: (number | string)[];
  /** Number of classes (width of `logits` and `probabilities`). */
  outputSize: number;
  /** The source model ends in softmax, so its output corresponds to `probabilities`, not `logits`. */
  sourceOutputsProbabilities: boolean;
  nodeCount: number;
}

/** The symbolic batch dimension of inputs and outputs. */
export const BATCH_DIM = 'N';

function emit(op: Op, ctx: EmitContext, x: TensorState): TensorState {
  switch (op.kind) {
    case 'dense':
      return emitDense(op, ctx, x);
    case 'conv2d':
      return emitConv2D(op, ctx, x);
    case 'maxPooling2d':
      return emitMaxPooling2D(op, ctx, x);
    case 'flatten':
      return emitFlatten(op, ctx, x);
    case 'activation':
      return emitActivation(op, ctx, x);
  }
}

/** The classifier part of a graph, as emitted into a GraphBuilder (shared by the classifier and the explanation graph). */
export interface EmittedClassifier {
  inputName: string;
  inputDims: (number | string)[];
  classes: number;
  sourceOutputsProbabilities: boolean;
}

/**
 * Emits the layer chain into `graph`: input `input` (NCHW for image models,
 * so the ONNX graph is channels-first end to end), outputs `logits` and
 * `probabilities` = Softmax(logits), or Softmax(logits / temperature) for a
 * calibrated model. With `trace`, every emitter records what a backward
 * pass needs.
 */
export function emitClassifier(
  spec: ModelSpec,
  graph: GraphBuilder,
  { trace, temperature, exactFirstLayer }: { trace?: TraceEntry[]; temperature?: number | undefined; exactFirstLayer?: TfjsBackendArithmetic | undefined } = {},
): EmittedClassifier {
  const plan = isBranching(spec) ? planGraph(spec.layers) : planLayers(spec.layers);
  const inputName = graph.uniqueName(INPUT_CONTRACT.name);
  let x: TensorState;
  let inputDims: (number | string)[];
  if (spec.inputShape.length === 3) {
    const [h, w, c] = spec.inputShape as [number, number, number];
    x = { name: inputName, layout: 'spatial', shape: [h, w, c] };
    inputDims = [BATCH_DIM, c, h, w];
  } else if (spec.inputShape.length === 1) {
    x = { name: inputName, layout: 'flat', shape: [spec.inputShape[0]!] };
    inputDims = [BATCH_DIM, spec.inputShape[0]!];
  } else {
    throw new UnsupportedModelError(`input shape [${spec.inputShape}]: the exporter handles [H, W, C] images and [F] vectors`);
  }

  const context = { graph, exactFirstLayer, ...(trace ? { trace } : {}) };
  if ('nodes' in plan) x = emitGraph(plan, context, x, emit);
  else {
    const { ops } = plan;
    ops.forEach((op, i) => {
      x = emit(op, { ...context, rest: ops.slice(i + 1) }, x);
    });
  }
  if (x.name === inputName) throw new UnsupportedModelError('the model computes nothing (no layer maps to an ONNX node)');
  if (x.layout !== 'flat')
    throw new UnsupportedModelError(`the model's output is [N, ${x.shape}]; the exporter needs [N, classes] logits (add Flatten and Dense)`);
  if (x.chwFrom) throw new Error('internal: flatten order left pending at the graph output');

  const logits = OUTPUT_NAMES.logits;
  // The last node writes `logits` directly: no Identity node.
  graph.renameTensor(x.name, logits);
  if (trace) renameInTrace(trace, x.name, logits);
  let scores: string = logits;
  if (temperature !== undefined && temperature !== 1) {
    if (!(temperature > 0) || !Number.isFinite(temperature))
      throw new UnsupportedModelError(`calibration temperature ${temperature}: it must be a positive finite number`);
    const t = graph.addInitializer('calibration/temperature', Float32Array.of(temperature), []);
    [scores] = graph.addNode('Div', [logits, t], [graph.uniqueName('calibrated_logits')], {}, 'calibration/Div') as [string];
  }
  graph.addNode('Softmax', [scores], [OUTPUT_NAMES.probabilities], { axis: 1 }, 'probabilities/Softmax');
  return { inputName, inputDims, classes: x.shape[0]!, sourceOutputsProbabilities: plan.sourceOutputsProbabilities };
}

function renameInTrace(trace: TraceEntry[], from: string, to: string): void {
  for (const entry of trace) {
    if (entry.output.name === from) entry.output = { ...entry.output, name: to };
    if (entry.kind === 'add') entry.inputs = entry.inputs.map((x) => (x.name === from ? { ...x, name: to } : x));
    else if (entry.input.name === from) entry.input = { ...entry.input, name: to };
  }
}

/** Converts a layer chain to an ONNX classifier (see emitClassifier). */
export function convertSpec(spec: ModelSpec, options: ConvertOptions): ConvertResult {
  const graph = new GraphBuilder({ int8Weights: options.int8 ?? false });
  const { inputName, inputDims, classes, sourceOutputsProbabilities } = emitClassifier(spec, graph, { temperature: options.temperature });
  const bytes = graph.build({
    graphName: options.name,
    producerName: EXPORTER_NAME,
    producerVersion: EXPORTER_VERSION,
    docString: `${options.name}: tfjs layers model exported to ONNX by ${EXPORTER_NAME} ${EXPORTER_VERSION}`,
    inputs: [{ name: inputName, dims: inputDims }],
    outputs: [
      { name: OUTPUT_NAMES.logits, dims: [BATCH_DIM, classes] },
      { name: OUTPUT_NAMES.probabilities, dims: [BATCH_DIM, classes] },
    ],
    metadata: options.metadata ?? {},
  });
  return { bytes, inputDims, outputSize: classes, sourceOutputsProbabilities, nodeCount: graph.nodeCount };
}
