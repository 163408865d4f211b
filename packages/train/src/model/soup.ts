import * as tf from '@tensorflow/tfjs-core';
import type { Recipe } from '../recipe.ts';

/**
 * A model soup (Wortsman et al., 2022): the weighted mean of the weights of
 * runs fine-tuned from one starting point. Runs that share a start stay in
 * one basin of the loss, so their mean is a model of its own, often more
 * accurate than each ingredient, and it mixes what each learned (here: how
 * much a run was trained to shrug off missing pixels, which is what issue
 * 13's deletion test measures) without training again.
 */
export interface SoupIngredient {
  /** The run directory, as given on the command line. */
  run: string;
  /** Its share before normalisation (the shares are divided by their sum). */
  weight: number;
  /** Its own validation accuracy, measured beside the soup's. */
  validationAccuracy?: number;
}

/** Runs that cannot be averaged, or a soup whose validation figure would not be one. */
export class SoupError extends Error {
  override readonly name = 'SoupError';
}

/**
 * The recipe fields that must agree: the architecture (or the weights do not
 * line up) and the validation split (or the soup's validation accuracy would
 * be measured on images that some ingredient trained on).
 */
const MUST_AGREE = ['model', 'seed', 'validationCount', 'limit', 'batchNorm', 'padding', 'depth', 'width'] as const;

/** Throws a SoupError naming the first field in which an ingredient's recipe differs from the first one's. */
export function checkSoupRecipes(runs: readonly { run: string; recipe: Recipe }[]): void {
  if (runs.length < 2) throw new SoupError(`a soup needs at least two runs (got ${runs.length})`);
  const [first, ...rest] = runs;
  for (const other of rest)
    for (const key of MUST_AGREE)
      if (first!.recipe[key] !== other.recipe[key])
        throw new SoupError(
          `${other.run} differs from ${first!.run} in ${key} (${String(other.recipe[key])} against ${String(first!.recipe[key])}): soup only runs of one architecture and one validation split`,
        );
}

/**
 * The weighted mean of several models' weight lists, tensor by tensor (the
 * lists in layer order, as LayersModel.getWeights gives them). Batch-norm
 * statistics are averaged like every other weight: re-estimating them on
 * the training images gave a less accurate soup on validation (docs/training.md, "The soup").
 */
export function averageWeights(models: readonly (readonly tf.Tensor[])[], shares: readonly number[]): tf.Tensor[] {
  if (models.length !== shares.length) throw new SoupError(`${models.length} weight lists but ${shares.length} shares`);
  if (shares.some((s) => !(Number.isFinite(s) && s > 0))) throw new SoupError(`every share must be a positive number (got ${shares.join(', ')})`);
  const [first] = models;
  if (!first) throw new SoupError('no weights to average');
  models.forEach((m, k) => {
    if (m.length !== first.length) throw new SoupError(`model ${k + 1} has ${m.length} weight tensors, model 1 has ${first.length}`);
    m.forEach((w, i) => {
      if (w.shape.join() !== first[i]!.shape.join())
        throw new SoupError(`weight ${i} of model ${k + 1} has shape [${w.shape}], model 1's has [${first[i]!.shape}]`);
    });
  });
  const fractions = shareFractions(shares);
  return tf.tidy(() => first.map((_, i) => tf.addN(models.map((m, k) => tf.mul(m[i]!, fractions[k]!)))));
}

/** Each share as a fraction of their sum: what the soup's weights are multiplied by. */
export function shareFractions(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  return shares.map((s) => s / total);
}
