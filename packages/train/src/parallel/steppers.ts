import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import type { Batch } from '../data/batches.ts';
import type { Recipe } from '../fit.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** One optimisation step on a batch, however it is computed. */
export interface Stepper {
  step(batch: Batch, learningRate: number): Promise<{ lossSum: number; hits: number }>;
  /** Brings `model` (the one evaluated and saved) up to date with the trained weights. */
  sync(model: tfl.LayersModel): Promise<void>;
  dispose(): Promise<void>;
}

/** Trains `model` itself on the active backend: the path for native TensorFlow, and for one core. */
export function localStepper(model: tfl.LayersModel, recipe: Recipe): Stepper {
  const optimizer = tf.train.adam(recipe.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    async step(batch, learningRate) {
      // AdamOptimizer reads this field on every step; tfjs marks it protected, with no setter.
      (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      let hits: tf.Scalar | undefined;
      const loss = optimizer.minimize(
        () => {
          const x = tf.tensor4d(batch.x, [batch.size, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
          const labels = tf.tensor1d(batch.labels, 'int32');
          const logits = model.apply(x, { training: true }) as tf.Tensor2D;
          hits = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits);
        },
        true,
        variables,
      )!;
      const result = { lossSum: loss.dataSync()[0]! * batch.size, hits: hits!.dataSync()[0]! };
      tf.dispose([loss, hits!]);
      return result;
    },
    async sync() {},
    async dispose() {
      optimizer.dispose();
    },
  };
}

class WorkerHandle {
  private waiting: ((m: FromWorker) => void) | undefined;
  private failure: Error | undefined;
  constructor(readonly worker: ChildProcess) {
    worker.on('message', (m: FromWorker) => {
      const resolve = this.waiting;
      this.waiting = undefined;
      if (m.type === 'error') this.failure = new Error(`training worker: ${m.message}`);
      resolve?.(m);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.({ type: 'error', message: err.message });
    };
    worker.on('error', fail);
    worker.on('exit', (code, signal) => fail(new Error(`training worker exited (${signal ?? code})`)));
  }
  request<T extends FromWorker['type']>(message: ToWorker, expect: T): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = (m) => {
        if (m.type === expect) resolve(m as Extract<FromWorker, { type: T }>);
        else reject(this.failure ?? new Error(`training worker answered ${m.type}, expected ${expect}`));
      };
      this.worker.send(message);
    });
  }
}

/**
 * Starts a gradient worker as a child process running TypeScript through
 * tsx. (Worker threads would be lighter, but on Node 20 loader hooks do not
 * reach them, so they cannot load TypeScript.)
 */
function startWorker(): ChildProcess {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], {
    execArgv: ['--import', tsxLoader],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/**
 * Data parallelism over worker processes, one wasm replica per core: each
 * worker computes the gradient of its share of the batch, the coordinator
 * sums them, and every replica applies the same mean gradient with its own
 * Adam (the next step message carries it, so a step costs one round trip).
 */
export async function parallelStepper(recipe: Recipe, backend: string, workers: number): Promise<Stepper> {
  const handles = Array.from({ length: workers }, () => new WorkerHandle(startWorker()));
  await Promise.all(handles.map((h, index) => h.request({ type: 'init', recipe, backend, index }, 'ready')));
  let pending: Float32Array | null = null;
  let pendingRate = recipe.learningRate;

  const flush = async () => {
    if (!pending) return;
    const mean = pending;
    pending = null;
    await Promise.all(handles.map((h) => h.request({ type: 'apply', apply: mean, learningRate: pendingRate }, 'applied')));
  };

  return {
    async step(batch, learningRate) {
      const shard = Math.ceil(batch.size / handles.length);
      const replies = await Promise.all(
        handles.map((h, i) => {
          const from = Math.min(batch.size, i * shard);
          const to = Math.min(batch.size, from + shard);
          return h.request(
            { type: 'step', apply: pending, learningRate: pendingRate, x: batch.x.slice(from * IMAGE_PIXELS, to * IMAGE_PIXELS), labels: batch.labels.slice(from, to) },
            'grads',
          );
        }),
      );
      const sum = replies[0]!.grads;
      for (const r of replies.slice(1)) for (let i = 0; i < sum.length; i++) sum[i]! += r.grads[i]!;
      for (let i = 0; i < sum.length; i++) sum[i]! /= batch.size;
      pending = sum;
      pendingRate = learningRate;
      return { lossSum: replies.reduce((s, r) => s + r.lossSum, 0), hits: replies.reduce((s, r) => s + r.hits, 0) };
    },
    async sync(model) {
      await flush();
      const all = await Promise.all(handles.map((h) => h.request({ type: 'weights' }, 'weights')));
      // Trainable weights are identical across replicas; batch-norm statistics differ by shard, so average them.
      const values = model.weights.map((w, i) => {
        if (w.trainable) return all[0]!.weights[i]!;
        const mean = new Float32Array(all[0]!.weights[i]!.length);
        for (const r of all) for (let j = 0; j < mean.length; j++) mean[j]! += r.weights[i]![j]! / all.length;
        return mean;
      });
      const tensors = values.map((v, i) => tf.tensor(v, model.weights[i]!.shape as number[]));
      model.setWeights(tensors);
      tf.dispose(tensors);
    },
    async dispose() {
      for (const h of handles) {
        h.worker.removeAllListeners('exit');
        h.worker.kill();
      }
    },
  };
}
