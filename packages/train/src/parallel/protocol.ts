import type { Recipe } from '../fit.ts';

/** Messages between the training loop and its gradient worker processes (data parallelism). */
export type ToWorker =
  | { type: 'init'; recipe: Recipe; backend: string; index: number }
  /** Apply the previous step's averaged gradient (if any), then compute gradients on this shard. */
  | { type: 'step'; apply: Float32Array | null; learningRate: number; x: Float32Array; labels: Int32Array }
  | { type: 'apply'; apply: Float32Array; learningRate: number }
  | { type: 'weights' };

export type FromWorker =
  | { type: 'ready'; gradientLength: number }
  /** Gradient of the shard's summed loss, flattened in trainable-weight order. */
  | { type: 'grads'; grads: Float32Array; lossSum: number; hits: number }
  | { type: 'applied' }
  | { type: 'weights'; weights: Float32Array[] }
  | { type: 'error'; message: string };
