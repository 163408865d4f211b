import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '../random.ts';

/**
 * Dropout whose training mask is drawn by a plain seeded PRNG loop.
 *
 * tfjs's `dropout` op draws a uniform tensor through seedrandom (alea) and
 * then floors, adds and divides it: on the CNN's conv-block maps that was
 * about 6% of a training step on wasm, five times what this mask costs.
 * The mask keeps each unit with probability 1 - rate and scales the kept
 * ones by 1 / (1 - rate), as tfjs does. Its seed is drawn from
 * Math.random, which training seeds, so runs stay repeatable. Inference,
 * config and serialization are the stock layer's: saved models load
 * anywhere as a plain `Dropout`.
 */
const StockDropout = tfl.layers.dropout({ rate: 0 }).constructor as typeof tfl.layers.Layer;

type Kwargs = { training?: boolean };

/** A dropout mask of `shape`: 1 / (1 - rate) with probability 1 - rate, else 0. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const keep = 1 - rate;
  const scale = 1 / keep;
  const rng = createRng(seed);
  const mask = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < mask.length; i++) mask[i] = rng() < keep ? scale : 0;
  return tf.tensor(mask, shape);
}

class FastDropout extends StockDropout {
  static className = 'Dropout';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const { rate } = this as unknown as { rate: number };
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || !(rate > 0 && rate < 1)) return super.call(inputs, kwargs);
    return tf.tidy(() => tf.mul(x, dropoutMask(x.shape, rate, Math.floor(Math.random() * 4294967296))));
  }
}

/** A dropout layer that trains with the fast mask. */
export function fastDropout(rate: number): tfl.layers.Layer {
  return new (FastDropout as unknown as new (args: { rate: number }) => tfl.layers.Layer)({ rate });
}
