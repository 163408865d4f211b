import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Recipe } from '../recipe.ts';
import { buildModel } from './architectures.ts';

/** Sets every weight of `model` (model.weights order); the shapes must match, or it throws naming the first that does not. */
export function setWeightValues(model: tfl.LayersModel, values: Float32Array[]): void {
  if (values.length !== model.weights.length)
    throw new Error(`the starting weights hold ${values.length} tensors; this recipe's ${model.name} has ${model.weights.length}`);
  const tensors = model.weights.map((w, i) => {
    const size = w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
    if (values[i]!.length !== size) throw new Error(`starting weight ${i} (${w.name}) has ${values[i]!.length} values; this recipe's model needs [${w.shape}]`);
    return tf.tensor(values[i]!, w.shape as number[]);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** The recipe's model, built the same way in the trainer and in every gradient worker. */
export function buildRecipeModel(r: Recipe): tfl.LayersModel {
  return buildModel(r.model, {
    batchNorm: r.batchNorm,
    dropout: r.dropout,
    convDropout: r.convDropout,
    padding: r.padding,
    seed: r.seed,
    ...(r.depth ? { depth: r.depth } : {}),
    ...(r.width ? { width: r.width } : {}),
  });
}
