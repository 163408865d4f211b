import type { LayersModel, SymbolicTensor, layers } from '@tensorflow/tfjs-layers';

type Layer = layers.Layer;
import { UnsupportedModelError } from '../errors.ts';

/** One weight of a layer, copied out of tfjs so the converter needs no tensors. */
export interface WeightSpec {
  shape: number[];
  data: Float32Array;
}

/**
 * A layer reduced to what the converter reads: its class, its config as tfjs
 * serialises it (camelCase keys) and its weights by short name (`kernel`,
 * `bias`, `gamma`, `moving_mean`, ...).
 */
export interface LayerSpec {
  name: string;
  className: string;
  config: Record<string, unknown>;
  weights: Map<string, WeightSpec>;
  /**
   * Names of the layers whose outputs this layer takes, in order; set only
   * in a branching model (see ModelSpec), where MODEL_INPUT names the input.
   */
  inputs?: string[];
}

/** The name a branching model's layers use for the model input in LayerSpec.inputs. */
export const MODEL_INPUT = '@input';

/**
 * Layers with one input, tfjs (channels-last) shape without the batch
 * dimension. A plain chain (each layer feeds the next) has no `inputs` on
 * its layers; a branching model (a residual network) lists them in a
 * topological order with their `inputs`, the last layer being the output.
 */
export interface ModelSpec {
  inputShape: number[];
  layers: LayerSpec[];
}

/** True when the layers form a graph with branches (their `inputs` are set) rather than a chain. */
export function isBranching(spec: ModelSpec): boolean {
  return spec.layers.some((l) => l.inputs !== undefined);
}

/**
 * Reads a tfjs LayersModel into a ModelSpec: a chain (Sequential, or a
 * functional model where each layer feeds the next) keeps the converter a
 * fold over layers; a model with branches (residual blocks) comes out as
 * its layers in topological order with their inputs.
 */
export function specFromLayersModel(model: LayersModel): ModelSpec {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedModelError(
      `model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the exporter handles one of each`,
    );
  }
  const [batch, ...inputShape] = model.inputs[0]!.shape;
  if (batch !== null || inputShape.some((d) => d === null)) {
    throw new UnsupportedModelError(`model '${model.name}' input shape [${model.inputs[0]!.shape}] must have a dynamic batch and fixed other dimensions`);
  }
  const chain = chainOf(model);
  const layers: LayerSpec[] = [];
  for (const { layer, inputs } of chain ?? graphOf(model)) {
    const weights = new Map<string, WeightSpec>();
    for (const variable of layer.weights) {
      const short = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
      const value = variable.read();
      weights.set(short, { shape: value.shape.slice(), data: Float32Array.from(value.dataSync()) });
    }
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig() as Record<string, unknown>,
      weights,
      ...(chain ? {} : { inputs }),
    });
  }
  return { inputShape: inputShape as number[], layers };
}

export interface Placed {
  layer: Layer;
  inputs: string[];
}

/** The tensors a tensor's producing node took, read from this model's own node (see chainOf). */
function inputsOf(tensor: SymbolicTensor): SymbolicTensor[] {
  const layer = tensor.sourceLayer as Layer;
  return layer.inboundNodes[tensor.nodeIndex]?.inputTensors ?? [];
}

/**
 * The layers from input to output, found by walking back from the output
 * through each tensor's producing node, or null when a node takes several
 * inputs (a branch). Walking this model's own nodes (not
 * `layer.inboundNodes` as a whole) stays right when a layer object is shared
 * with another model.
 */
function chainOf(model: LayersModel): Placed[] | null {
  const chain: Placed[] = [];
  const input = model.inputs[0]!;
  let tensor: SymbolicTensor = model.outputs[0]!;
  while (tensor !== input) {
    const inputs = inputsOf(tensor);
    if (inputs.length !== 1) return null;
    chain.unshift({ layer: tensor.sourceLayer as Layer, inputs: [] });
    tensor = inputs[0]!;
  }
  return chain;
}

/**
 * A branching model's layers in topological order (depth first from the
 * output, inputs before their consumers), each with the names of the layers
 * it takes. Every layer must be applied once in this model: a layer reused
 * at two places would need its name to stand for two tensors.
 */
export function graphOf(model: LayersModel): Placed[] {
  const input = model.inputs[0]!;
  const placed: Placed[] = [];
  const seen = new Map<Layer, SymbolicTensor>();
  const visit = (tensor: SymbolicTensor): string => {
    if (tensor === input) return MODEL_INPUT;
    const layer = tensor.sourceLayer as Layer;
    const earlier = seen.get(layer);
    if (earlier) {
      if (earlier !== tensor)
        throw new UnsupportedModelError(`layer '${layer.name}' (${layer.getClassName()}) is applied more than once; the exporter handles each layer once`);
      return layer.name;
    }
    seen.set(layer, tensor);
    const inputs = inputsOf(tensor);
    if (inputs.length === 0)
      throw new UnsupportedModelError(`layer '${layer.name}' (${layer.getClassName()}) has no input from this model's input; the exporter handles one input`);
    // Post-order: a layer is placed after everything it takes.
    placed.push({ layer, inputs: inputs.map(visit) });
    return layer.name;
  };
  visit(model.outputs[0]!);
  return placed;
}
