import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec, WeightSpec } from '../../model/spec.ts';
import type { ActivationName } from '../types.ts';

// Helpers that read one setting of a tfjs layer config and reject values the
// exporter cannot map, naming the layer, its class and the setting.

const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'softmax'];

export function readActivation(layer: LayerSpec, key = 'activation'): ActivationName {
  const value = layer.config[key] ?? 'linear';
  if (typeof value === 'string' && (ACTIVATIONS as readonly string[]).includes(value)) return value as ActivationName;
  throw new UnsupportedLayerError(layer.name, layer.className, `${key}: ${JSON.stringify(value)}`, `supported activations are ${ACTIVATIONS.join(', ')}`);
}

export function readPair(layer: LayerSpec, key: string, fallback?: [number, number]): [number, number] {
  const raw = layer.config[key] ?? fallback;
  const pair = typeof raw === 'number' ? [raw, raw] : raw;
  if (Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v > 0)) return pair as [number, number];
  throw new UnsupportedLayerError(layer.name, layer.className, `${key}: ${JSON.stringify(raw)}`, 'expected two positive integers');
}

export function readPadding(layer: LayerSpec): 'valid' | 'same' {
  const value = layer.config.padding ?? 'valid';
  if (value === 'valid' || value === 'same') return value;
  throw new UnsupportedLayerError(layer.name, layer.className, `padding: ${JSON.stringify(value)}`, "supported paddings are 'valid' and 'same'");
}

/** ONNX Conv/MaxPool here run NCHW on tensors whose tfjs meaning is NHWC; only channels-last sources are mapped. */
export function requireChannelsLast(layer: LayerSpec): void {
  const value = layer.config.dataFormat;
  if (value !== undefined && value !== null && value !== 'channelsLast') {
    throw new UnsupportedLayerError(layer.name, layer.className, `dataFormat: ${JSON.stringify(value)}`, "only 'channelsLast' (the tfjs default) is supported");
  }
}

export function requireWeight(layer: LayerSpec, name: string): WeightSpec {
  const weight = layer.weights.get(name);
  if (!weight)
    throw new UnsupportedLayerError(layer.name, layer.className, `weights: missing '${name}'`, `the layer has [${[...layer.weights.keys()].join(', ')}]`);
  return weight;
}

/** The bias when `useBias` is on; a missing weight under useBias is an error, not a silent zero. */
export function readBias(layer: LayerSpec): WeightSpec | undefined {
  if (layer.config.useBias === false) return undefined;
  return requireWeight(layer, 'bias');
}
