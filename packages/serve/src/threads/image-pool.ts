import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { PreprocessOptions } from '@fmnist/core';
import type { ImagePlan } from '../decode-budget.ts';
import type { DecodeOptions } from '../decode.ts';
import { HttpError } from '../errors.ts';
import type { PreparedImage } from '../prepare.ts';
import { DEFAULT_BACKGROUND_NICENESS } from './background-priority.ts';
import { movable } from './movable.ts';
import type { ImageTask, ImageTaskResult } from './protocol.ts';
import { tsxWorker } from './worker-file.ts';

/**
 * Threads that decode and preprocess photos. Core's preprocessing is
 * JavaScript: on the main thread a 1000x1000 photo held the event loop for
 * about 10 ms, and every other request waited behind it. Here photos use
 * every core while the main thread keeps parsing requests and batching.
 */
export class ImagePool {
  private readonly pool: Piscina<ImageTask, ImageTaskResult>;

  /** `niceness`: the threads' CPU priority (background-priority.ts), below the event loop's. */
  constructor(
    readonly threads = availableParallelism(),
    niceness = DEFAULT_BACKGROUND_NICENESS,
  ) {
    this.pool = new Piscina({ ...tsxWorker('./image-task.ts', { niceness }), minThreads: 1, maxThreads: threads, idleTimeout: 60_000 });
  }

  /**
   * `plan`: the header's verdict, when the caller has read it.
   * `bytes` is moved to the thread, not copied, when it is the whole of its
   * buffer (an upload read into its own): the caller must not read it after.
   * Copying a photo's megabytes cost the main thread's garbage collector
   * more than the copy itself.
   */
  async prepare(bytes: Uint8Array, decode: DecodeOptions, preprocess: PreprocessOptions, plan?: ImagePlan): Promise<PreparedImage> {
    const owned = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const task: ImageTask = { bytes, decode, preprocess, ...(plan ? { plan } : {}) };
    const result = await this.pool.run(owned ? movable(task, [bytes.buffer]) : task);
    if (!result.ok) throw new HttpError(result.code, result.message);
    const { ok: _, ...prepared } = result;
    return prepared;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
