import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH } from '@fmnist/core';
import { selectBackend, type BackendChoice } from '../backend/select.ts';
import { buildRecipeModel, setWeightValues, shuffleSeedOf, type Recipe } from '../fit.ts';
import { createRng } from '../random.ts';
import { FlatAdam } from './flat-adam.ts';
import { acceptHits, acceptTensor, trainingLoss } from '../model/loss.ts';
import { gradientSlot, type FromWorker, type GradientBanks, type PendingGradient, type ToWorker } from './protocol.ts';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * One replica of the model. Every replica starts from the same seeded
 * weights and applies the same averaged gradients with its own Adam, so the
 * replicas stay identical without ever shipping weights during an epoch.
 * The Adam step is FlatAdam's single pass over a JS copy of the trainable
 * weights, which is then written back into the model's variables.
 */
let model: tfl.LayersModel;
let variables: tf.Variable[];
let adam: FlatAdam;
let banks: GradientBanks;
let index = 0;
let recipe: Recipe;

const port = parentPort!;

function post(message: FromWorker): void {
  port.postMessage(message);
}

/** Every replica sums the slots in the same order, so all of them apply bit-identical steps. */
function apply({ bank, batchSize, learningRate }: PendingGradient): void {
  const slots = Array.from({ length: banks.workers }, (_, w) => gradientSlot(banks, bank, w));
  adam.step(slots, batchSize, learningRate);
  let offset = 0;
  for (const v of variables) {
    const value = tf.tensor(adam.params.subarray(offset, offset + v.size), v.shape);
    v.assign(value);
    value.dispose();
    offset += v.size;
  }
}

function gradients(x: Float32Array, acceptBits: Uint16Array, bank: number): FromWorker & { type: 'grads' } {
  const n = acceptBits.length;
  let hits = 0;
  const { value, grads } = tf.variableGrads(() => {
    const xs = tf.tensor4d(x, [n, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
    const accept = acceptTensor(acceptBits);
    const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
    hits = tf.tidy(() => acceptHits(accept, logits).dataSync()[0]!);
    // Summed, not averaged: the replicas divide by the whole batch.
    return trainingLoss(accept, logits, recipe.labelSmoothing ?? 0, tf.Reduction.SUM, recipe.partialLoss);
  }, variables);
  const slot = gradientSlot(banks, bank, index);
  let offset = 0;
  for (const v of variables) {
    slot.set(grads[v.name]!.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const lossSum = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { type: 'grads', lossSum, hits };
}

port.on('message', async (msg: ToWorker) => {
  try {
    switch (msg.type) {
      case 'init': {
        await selectBackend(msg.backend as BackendChoice);
        index = msg.index;
        recipe = msg.recipe;
        // Each replica draws its own dropout masks.
        Math.random = createRng((shuffleSeedOf(msg.recipe) ^ 0x9e3779b9) + 7919 * (msg.index + 1));
        model = buildRecipeModel(msg.recipe);
        if (msg.initialWeights) setWeightValues(model, msg.initialWeights);
        variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const params = new Float32Array(variables.reduce((s, v) => s + v.size, 0));
        let offset = 0;
        for (const v of variables) {
          params.set(v.dataSync() as Float32Array, offset);
          offset += v.size;
        }
        adam = new FlatAdam(params);
        const gradientLength = params.length;
        post({ type: 'ready', gradientLength });
        break;
      }
      case 'banks':
        banks = msg.banks;
        post({ type: 'banked' });
        break;
      case 'step':
        if (msg.apply) apply(msg.apply);
        post(gradients(msg.x, msg.accept, msg.bank));
        break;
      case 'apply':
        apply(msg.apply);
        post({ type: 'applied' });
        break;
      case 'weights': {
        const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
        post({ type: 'weights', weights });
        break;
      }
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
