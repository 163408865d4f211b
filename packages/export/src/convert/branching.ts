import { UnsupportedLayerError, UnsupportedModelError } from '../errors.ts';
import { MODEL_INPUT, type LayerSpec } from '../model/spec.ts';
import { emitAdd, parseAdd, type AddOp } from './layers/add.ts';
import { foldBatchNormalization } from './layers/batch-normalization.ts';
import { emitGlobalAveragePooling2D, parseGlobalAveragePooling2D, type GlobalAveragePooling2DOp } from './layers/global-average-pooling2d.ts';
import { PARSERS, SUPPORTED_LAYERS } from './plan.ts';
import type { EmitContext, Op, TensorState } from './types.ts';

/** One op of a branching graph and the ops (or MODEL_INPUT) it takes. */
export interface GraphNode {
  op: Op | AddOp | GlobalAveragePooling2DOp;
  inputs: string[];
}

export interface GraphPlan {
  /** By the name of the layer each op came from, in topological order. */
  nodes: Map<string, GraphNode>;
  output: string;
  sourceOutputsProbabilities: boolean;
}

/**
 * The inference ops of a branching model (layers in topological order with
 * their inputs, see ModelSpec): Dropout vanishes, and a BatchNormalization
 * folds into the Conv2D or Dense it follows when it is that layer's only
 * consumer (as in every residual block), exactly as in a chain.
 */
export function planGraph(layers: readonly LayerSpec[]): GraphPlan {
  const consumers = new Map<string, number>();
  for (const layer of layers) for (const input of layer.inputs ?? []) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const alias = new Map<string, string>();
  const resolve = (name: string) => alias.get(name) ?? name;
  const nodes = new Map<string, GraphNode>();
  for (const layer of layers) {
    const inputs = (layer.inputs ?? []).map(resolve);
    if (inputs.length === 0) throw new UnsupportedModelError(`layer '${layer.name}' (${layer.className}) has no inputs in a branching model`);
    const single = () => {
      if (inputs.length !== 1) throw new UnsupportedLayerError(layer.name, layer.className, `${inputs.length} inputs`, 'the layer takes one');
      return inputs[0]!;
    };
    if (layer.className === 'Dropout') {
      alias.set(layer.name, single()); // The identity at inference.
      continue;
    }
    if (layer.className === 'BatchNormalization') {
      const source = single();
      const previous = nodes.get(source);
      if (previous && (consumers.get(layer.inputs![0]!) ?? 0) > 1) {
        throw new UnsupportedLayerError(layer.name, layer.className, 'placement', `'${source}' also feeds other layers, so the batch norm cannot fold into it`);
      }
      // Throws, naming the layer before, unless that is a linear Dense or Conv2D (Add and pooling included).
      previous!.op = foldBatchNormalization(layer, previous?.op as Op | undefined);
      alias.set(layer.name, source);
      continue;
    }
    let op: GraphNode['op'];
    if (layer.className === 'Add') op = parseAdd(layer);
    else if (layer.className === 'GlobalAveragePooling2D') op = parseGlobalAveragePooling2D(layer);
    else {
      const parse = PARSERS[layer.className];
      if (!parse)
        throw new UnsupportedLayerError(
          layer.name,
          layer.className,
          'layer class',
          `supported classes are ${[...SUPPORTED_LAYERS, ...BRANCHING_LAYERS].join(', ')}`,
        );
      op = parse(layer);
      single();
    }
    nodes.set(layer.name, { op, inputs });
  }
  const last = layers[layers.length - 1];
  if (!last) throw new UnsupportedModelError('the model has no layers');
  let output = resolve(last.name);
  let sourceOutputsProbabilities = false;
  const final = nodes.get(output);
  if (final?.op.kind === 'activation' && final.op.activation === 'softmax') {
    nodes.delete(output);
    output = final.inputs[0]!;
    sourceOutputsProbabilities = true;
  } else if ((final?.op.kind === 'dense' || final?.op.kind === 'conv2d') && final.op.activation === 'softmax') {
    final.op = { ...final.op, activation: 'linear' };
    sourceOutputsProbabilities = true;
  }
  return { nodes, output, sourceOutputsProbabilities };
}

/** The layer classes only a branching model uses. */
const BRANCHING_LAYERS = ['Add', 'GlobalAveragePooling2D'] as const;

/**
 * Emits a planned branching graph from the input state `x`; `emitOne`
 * emits a single-input op of the chain converter. Returns the output state.
 */
export function emitGraph(
  plan: GraphPlan,
  ctx: Omit<EmitContext, 'rest'>,
  x: TensorState,
  emitOne: (op: Op, ctx: EmitContext, x: TensorState) => TensorState,
): TensorState {
  const states = new Map<string, TensorState>([[MODEL_INPUT, x]]);
  for (const [name, node] of plan.nodes) {
    const xs = node.inputs.map((input) => {
      const state = states.get(input);
      if (!state) throw new Error(`internal: '${input}' (input of '${name}') emitted after its consumer`);
      return state;
    });
    const { op } = node;
    // No look-ahead in a graph: a Flatten transposes to tfjs order itself when it needs to.
    const context: EmitContext = { ...ctx, rest: [] };
    let y: TensorState;
    if (op.kind === 'add') y = emitAdd(op, context, xs);
    else if (op.kind === 'globalAveragePooling2d') y = emitGlobalAveragePooling2D(op, context, xs[0]!);
    else y = emitOne(op, context, xs[0]!);
    states.set(name, y);
  }
  const out = states.get(plan.output);
  if (!out) throw new UnsupportedModelError('the model computes nothing (no layer maps to an ONNX node)');
  return out;
}
