import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import { selectBackend, type BackendChoice } from '../backend/select.ts';
import { buildRecipeModel } from '../fit.ts';
import { createRng } from '../random.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * One replica of the model. Every replica starts from the same seeded
 * weights and applies the same averaged gradients with its own Adam, so the
 * replicas stay identical without ever shipping weights during an epoch.
 */
let model: tfl.LayersModel;
let variables: tf.Variable[];
let optimizer: tf.AdamOptimizer;

function post(message: FromWorker): void {
  process.send!(message);
}

function apply(flat: Float32Array, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  let offset = 0;
  const grads = variables.map((v) => {
    const tensor = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
    offset += v.size;
    return { name: v.name, tensor };
  });
  optimizer.applyGradients(grads);
  tf.dispose(grads.map((g) => g.tensor));
}

function gradients(x: Float32Array, labels: Int32Array): FromWorker & { type: 'grads' } {
  const n = labels.length;
  let hits = 0;
  const { value, grads } = tf.variableGrads(() => {
    const xs = tf.tensor4d(x, [n, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
    const ys = tf.tensor1d(labels, 'int32');
    const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
    hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), 'float32')).dataSync()[0]!);
    // Summed, not averaged: the coordinator divides by the whole batch.
    return tf.losses.softmaxCrossEntropy(tf.oneHot(ys, NUM_CLASSES), logits, undefined, undefined, tf.Reduction.SUM);
  }, variables);
  const length = variables.reduce((s, v) => s + v.size, 0);
  const flat = new Float32Array(length);
  let offset = 0;
  for (const v of variables) {
    flat.set(grads[v.name]!.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const lossSum = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { type: 'grads', grads: flat, lossSum, hits };
}

process.on('message', async (msg: ToWorker) => {
  try {
    switch (msg.type) {
      case 'init': {
        await selectBackend(msg.backend as BackendChoice);
        // Each replica draws its own dropout masks.
        Math.random = createRng((msg.recipe.seed ^ 0x9e3779b9) + 7919 * (msg.index + 1));
        const r = msg.recipe;
        model = buildRecipeModel(r);
        variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        optimizer = tf.train.adam(r.learningRate);
        post({ type: 'ready', gradientLength: variables.reduce((s, v) => s + v.size, 0) });
        break;
      }
      case 'step': {
        if (msg.apply) apply(msg.apply, msg.learningRate);
        const out = gradients(msg.x, msg.labels);
        post(out);
        break;
      }
      case 'apply':
        apply(msg.apply, msg.learningRate);
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
