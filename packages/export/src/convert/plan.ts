import { UnsupportedLayerError } from '../errors.ts';
import type { LayerSpec } from '../model/spec.ts';
import type { Op } from './types.ts';
import { parseActivation } from './layers/activation.ts';
import { foldBatchNormalization } from './layers/batch-normalization.ts';
import { parseConv2D } from './layers/conv2d.ts';
import { parseDense } from './layers/dense.ts';
import { parseFlatten } from './layers/flatten.ts';
import { parseMaxPooling2D } from './layers/max-pooling2d.ts';

/** The layer classes the exporter maps (tfjs `getClassName()` values). */
export const SUPPORTED_LAYERS = ['InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'BatchNormalization', 'Activation'] as const;

export const PARSERS: Record<string, (layer: LayerSpec) => Op> = {
  Dense: parseDense,
  Conv2D: parseConv2D,
  MaxPooling2D: parseMaxPooling2D,
  Flatten: parseFlatten,
  Activation: parseActivation,
};

export interface Plan {
  ops: Op[];
  /**
   * The source model ends in softmax. The plan drops it so the graph's
   * `logits` really are logits; `probabilities` (always appended) equals the
   * source model's output.
   */
  sourceOutputsProbabilities: boolean;
}

/** Turns the layer chain into inference ops: Dropout and InputLayer vanish, BatchNormalization folds into its predecessor. */
export function planLayers(layers: readonly LayerSpec[]): Plan {
  const ops: Op[] = [];
  for (const layer of layers) {
    if (layer.className === 'InputLayer' || layer.className === 'Dropout') continue; // Dropout is the identity at inference.
    if (layer.className === 'BatchNormalization') {
      const previous = ops.pop();
      ops.push(foldBatchNormalization(layer, previous));
      continue;
    }
    const parse = PARSERS[layer.className];
    if (!parse) throw new UnsupportedLayerError(layer.name, layer.className, 'layer class', `supported classes are ${SUPPORTED_LAYERS.join(', ')}`);
    ops.push(parse(layer));
  }
  return { ops, sourceOutputsProbabilities: stripFinalSoftmax(ops) };
}

function stripFinalSoftmax(ops: Op[]): boolean {
  const last = ops[ops.length - 1];
  if (!last) return false;
  if (last.kind === 'activation' && last.activation === 'softmax') {
    ops.pop();
    return true;
  }
  if ((last.kind === 'dense' || last.kind === 'conv2d') && last.activation === 'softmax') {
    ops[ops.length - 1] = { ...last, activation: 'linear' };
    return true;
  }
  return false;
}
