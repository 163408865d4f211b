import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH } from '@fmnist/core';
import type { Batch } from '../data/batches.ts';
import type { Recipe } from '../fit.ts';
import type { FromWorker, GradientBanks, PendingGradient, ToWorker } from './protocol.ts';
import { acceptHits, acceptTensor, trainingLoss } from '../model/loss.ts';

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
          const accept = acceptTensor(batch.accept);
          const logits = model.apply(x, { training: true }) as tf.Tensor2D;
          hits = tf.keep(acceptHits(accept, logits));
          return trainingLoss(accept, logits, recipe.labelSmoothing ?? 0, tf.Reduction.SUM_BY_NONZERO_WEIGHTS, recipe.partialLoss);
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
  constructor(readonly worker: Worker) {
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
    worker.on('exit', (code) => fail(new Error(`training worker exited (${code})`)));
  }
  request<T extends FromWorker['type']>(message: ToWorker, expect: T, transfer: ArrayBuffer[] = []): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = (m) => {
        if (m.type === expect) resolve(m as Extract<FromWorker, { type: T }>);
        else reject(this.failure ?? new Error(`training worker answered ${m.type}, expected ${expect}`));
      };
      this.worker.postMessage(message, transfer);
    });
  }
}

/** A gradient worker thread (thread-entry.mjs loads tsx, then worker.ts). */
function startWorker(): Worker {
  return new Worker(new URL('./thread-entry.mjs', import.meta.url));
}

/**
 * Data parallelism over worker threads, one wasm replica per core: each
 * worker computes the gradient of its share of the batch into shared
 * memory, and in the next step every replica sums the shares and applies
 * the same mean gradient with its own Adam. A step costs one small message
 * each way; no gradient is ever copied through a message or summed here.
 */
export async function parallelStepper(recipe: Recipe, backend: string, workers: number, initialWeights?: Float32Array[]): Promise<Stepper> {
  const handles = Array.from({ length: workers }, () => new WorkerHandle(startWorker()));
  const ready = await Promise.all(handles.map((h, index) => h.request({ type: 'init', recipe, backend, index, ...(initialWeights ? { initialWeights } : {}) }, 'ready')));
  const gradientLength = ready[0]!.gradientLength;
  const banks: GradientBanks = { buffer: new SharedArrayBuffer(2 * workers * gradientLength * Float32Array.BYTES_PER_ELEMENT), workers, gradientLength };
  await Promise.all(handles.map((h) => h.request({ type: 'banks', banks }, 'banked')));
  let pending: PendingGradient | null = null;
  let bank = 0;

  const flush = async () => {
    if (!pending) return;
    const apply = pending;
    pending = null;
    await Promise.all(handles.map((h) => h.request({ type: 'apply', apply }, 'applied')));
  };

  return {
    async step(batch, learningRate) {
      const shard = Math.ceil(batch.size / handles.length);
      const replies = await Promise.all(
        handles.map((h, i) => {
          const from = Math.min(batch.size, i * shard);
          const to = Math.min(batch.size, from + shard);
          const x = batch.x.slice(from * IMAGE_PIXELS, to * IMAGE_PIXELS);
          const accept = batch.accept.slice(from, to);
          return h.request({ type: 'step', apply: pending, bank, x, accept }, 'grads', [x.buffer, accept.buffer]);
        }),
      );
      pending = { bank, batchSize: batch.size, learningRate };
      bank = 1 - bank;
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
      await Promise.all(
        handles.map((h) => {
          h.worker.removeAllListeners('exit');
          return h.worker.terminate();
        }),
      );
    },
  };
}
