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
}

/** A linear chain of layers with one input, tfjs (channels-last) shape without the batch dimension. */
export interface ModelSpec {
  inputShape: number[];
  layers: LayerSpec[];
}

/**
 * Reads a tfjs LayersModel into a ModelSpec. Only plain chains are accepted
 * (Sequential, or a functional model where each layer feeds the next):
 * that is what train writes and it keeps the converter a fold over layers.
 */
export function specFromLayersModel(model: LayersModel): ModelSpec {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedModelError(`model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the exporter handles one of each`);
  }
  const [batch, ...inputShape] = model.inputs[0]!.shape;
  if (batch !== null || inputShape.some((d) => d === null)) {
    throw new UnsupportedModelError(`model '${model.name}' input shape [${model.inputs[0]!.shape}] must have a dynamic batch and fixed other dimensions`);
  }
  const layers: LayerSpec[] = [];
  for (const layer of chainOf(model)) {
    const weights = new Map<string, WeightSpec>();
    for (const variable of layer.weights) {
      const short = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
      const value = variable.read();
      weights.set(short, { shape: value.shape.slice(), data: Float32Array.from(value.dataSync()) });
    }
    layers.push({ name: layer.name, className: layer.getClassName(), config: layer.getConfig() as Record<string, unknown>, weights });
  }
  return { inputShape: inputShape as number[], layers };
}

/**
 * The layers from input to output, found by walking back from the output
 * through each tensor's producing node. Walking this model's own nodes (not
 * `layer.inboundNodes` as a whole) stays right when a layer object is shared
 * with another model; a node with several inputs means a branch.
 */
function chainOf(model: LayersModel): Layer[] {
  const chain: Layer[] = [];
  const input = model.inputs[0]!;
  let tensor: SymbolicTensor = model.outputs[0]!;
  while (tensor !== input) {
    const layer = tensor.sourceLayer as Layer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    const inputs = node?.inputTensors ?? [];
    if (inputs.length !== 1) {
      throw new UnsupportedModelError(`layer '${layer.name}' (${layer.getClassName()}) takes ${inputs.length} inputs; the exporter handles only chains of single-input layers`);
    }
    chain.unshift(layer);
    tensor = inputs[0]!;
  }
  return chain;
}
