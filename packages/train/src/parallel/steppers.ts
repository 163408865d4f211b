import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_PIXELS, NUM_CLASSES } from '@fmnist/core';
import type { Batch } from '../data/batches.ts';
import type { Recipe } from '../recipe.ts';
import type { FromWorker, GradientBanks, PendingGradient, ToWorker } from './protocol.ts';
import type { OptimizerState } from './flat-optimizer-interface.ts';
import { Replica } from './replica.ts';

/** What a checkpoint needs of a stepper beyond the model's weights. */
export interface StepperState {
  optimizer: OptimizerState;
  /** Math.random draws of each gradient worker (none in process: the trainer's own stream covers it). */
  randomDraws: number[];
}

/** One optimisation step on a batch, however it is computed. */
export interface Stepper {
  step(batch: Batch, learningRate: number): Promise<{ lossSum: number; hits: number }>;
  /**
   * Brings `model` (the one evaluated and saved) up to date with the trained
   * weights; with workers, their averaged batch-norm statistics also go back
   * to every replica, so all replicas and the model hold the same state.
   */
  sync(model: tfl.LayersModel): Promise<void>;
  /** The optimizer and random state after a sync (for a checkpoint). */
  state(): Promise<StepperState>;
  dispose(): Promise<void>;
}

/** Trains `model` itself on the active backend: the path for native TensorFlow, and for one core. */
export function localStepper(model: tfl.LayersModel, recipe: Recipe, resume?: StepperState): Stepper {
  const replica = new Replica(model, recipe);
  if (resume) replica.optimizer.restore(resume.optimizer);
  const gradient = new Float32Array(replica.gradientLength);
  return {
    async step(batch, learningRate) {
      const result = replica.gradients(batch.x, batch.accept, gradient, batch.teacher);
      replica.apply([gradient], batch.size, learningRate);
      return result;
    },
    async sync() {},
    async state() {
      return { optimizer: replica.optimizer.state(), randomDraws: [] };
    },
    async dispose() {},
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
export async function parallelStepper(
  recipe: Recipe,
  backend: string,
  workers: number,
  initialWeights?: Float32Array[],
  resume?: StepperState,
): Promise<Stepper> {
  if (resume && resume.randomDraws.length !== workers)
    throw new Error(
      `the checkpoint was written by ${resume.randomDraws.length} worker(s), this run has ${workers}: resume with --workers ${resume.randomDraws.length}`,
    );
  const handles = Array.from({ length: workers }, () => new WorkerHandle(startWorker()));
  const ready = await Promise.all(
    handles.map((h, index) =>
      h.request(
        {
          type: 'init',
          recipe,
          backend,
          index,
          ...(initialWeights ? { initialWeights } : {}),
          ...(resume ? { resume: { optimizer: resume.optimizer, randomDraws: resume.randomDraws[index]! } } : {}),
        },
        'ready',
      ),
    ),
  );
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
          const teacher = batch.teacher?.slice(from * NUM_CLASSES, to * NUM_CLASSES);
          const transfer = [x.buffer, accept.buffer, ...(teacher ? [teacher.buffer] : [])];
          return h.request({ type: 'step', apply: pending, bank, x, accept, ...(teacher ? { teacher } : {}) }, 'grads', transfer);
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
      await Promise.all(handles.map((h) => h.request({ type: 'setWeights', weights: values }, 'weightsSet')));
    },
    async state() {
      const states = await Promise.all(handles.map((h) => h.request({ type: 'state' }, 'state')));
      return { optimizer: states[0]!.optimizer, randomDraws: states.map((s) => s.randomDraws) };
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
