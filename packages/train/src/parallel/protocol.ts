import type { Recipe } from '../recipe.ts';
import type { OptimizerState } from './flat-optimizer-interface.ts';

/**
 * Gradients travel through one SharedArrayBuffer instead of messages: two
 * banks (by step parity) of one slot per worker, each `gradientLength`
 * floats. A worker writes its shard's gradient to its slot in the step's
 * bank; in the next step every worker reads all slots of that bank and
 * applies their mean. The banks alternate, so a fast worker's writes never
 * land in the bank a slow worker is still reading.
 */
export interface GradientBanks {
  buffer: SharedArrayBuffer;
  workers: number;
  gradientLength: number;
}

export function gradientSlot(banks: GradientBanks, bank: number, worker: number): Float32Array {
  return new Float32Array(banks.buffer, (bank * banks.workers + worker) * banks.gradientLength * Float32Array.BYTES_PER_ELEMENT, banks.gradientLength);
}

/** The summed gradients of a previous step to apply: their bank and the batch size to divide by. */
export interface PendingGradient {
  bank: number;
  batchSize: number;
  learningRate: number;
}

/** Messages between the training loop and its gradient worker threads (data parallelism). */
export type ToWorker =
  /** `resume`: continue from a checkpoint (with its weights as initialWeights): optimizer state and Math.random position. */
  | {
      type: 'init';
      recipe: Recipe;
      backend: string;
      index: number;
      initialWeights?: Float32Array[];
      resume?: { optimizer: OptimizerState; randomDraws: number };
    }
  | { type: 'banks'; banks: GradientBanks }
  /** Apply the pending gradient (if any), then write this shard's gradient to `bank`; `teacher`: the shard's rows of Batch.teacher. */
  | { type: 'step'; apply: PendingGradient | null; bank: number; x: Float32Array; accept: Uint16Array; teacher?: Float32Array }
  | { type: 'apply'; apply: PendingGradient }
  | { type: 'weights' }
  /** Replace all weights (the trainer's averaged batch-norm statistics go back to every replica). */
  | { type: 'setWeights'; weights: Float32Array[] }
  | { type: 'state' };

export type FromWorker =
  | { type: 'ready'; gradientLength: number }
  /** The shard's summed loss and hits; its gradient is in the step's bank. */
  | { type: 'grads'; lossSum: number; hits: number }
  | { type: 'applied' }
  | { type: 'banked' }
  | { type: 'weights'; weights: Float32Array[] }
  | { type: 'weightsSet' }
  | { type: 'state'; optimizer: OptimizerState; randomDraws: number }
  | { type: 'error'; message: string };
