import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PreprocessOptions, Split } from '@fmnist/core';
import { DEFAULT_DECODE, type ImagePlan } from '../decode-budget.ts';
import type { DecodeOptions } from '../decode.ts';
import type { PreparedImage } from '../prepare.ts';
import { encodeRgbPng } from '../png.ts';
import { DEFAULT_BACKGROUND_NICENESS } from './background-priority.ts';
import { movable, spansBuffer } from './movable.ts';
import type { DatasetTask, DatasetTaskResult, ImageTask, ImageTaskResult } from './protocol.ts';
import { unlessFault } from './task-fault.ts';
import { tsxWorker } from './worker-file.ts';

/** The task module that unpacks datasets, run in the same threads: they have registered tsx's loader by then. */
const DATASET_TASK = fileURLToPath(new URL('./dataset-task.ts', import.meta.url));

/**
 * Threads that decode and preprocess photos, and unpack /evaluate's
 * datasets. Core's preprocessing is JavaScript: on the main thread a
 * 1000x1000 photo held the event loop for about 10 ms, and every other
 * request waited behind it. Here photos use every core while the main
 * thread keeps parsing requests and batching.
 */
export class ImagePool {
  private readonly pool: Piscina<ImageTask | DatasetTask, ImageTaskResult | DatasetTaskResult>;

  /** `niceness`: the threads' CPU priority (background-priority.ts), below the event loop's. */
  constructor(
    readonly threads = availableParallelism(),
    niceness = DEFAULT_BACKGROUND_NICENESS,
  ) {
    // Every thread from the start, kept: a thread that started under a flood loaded tsx, its task modules and
    // sharp while the photos queued behind the one thread that was there (docs/benchmarks.md, session 24).
    this.pool = new Piscina({ ...tsxWorker('./image-task.ts', { niceness }), minThreads: threads, maxThreads: threads });
  }

  /**
   * Resolves once every thread has decoded a photo through sharp: its modules
   * loaded and the decoding path compiled, so the first real photos are not
   * the ones that pay for it.
   */
  async warm(): Promise<void> {
    // Larger than decode.ts's small-PNG side, so it takes the sharp path a photo takes.
    const side = 80;
    const png = encodeRgbPng(new Uint8Array(side * side * 3), side, side);
    await Promise.all(Array.from({ length: this.threads }, () => this.prepare(new Uint8Array(png), DEFAULT_DECODE, {})));
  }

  /**
   * `plan`: the header's verdict, when the caller has read it.
   * `bytes` is moved to the thread, not copied, when it is the whole of its
   * buffer (an upload read into its own): the caller must not read it after.
   * Copying a photo's megabytes cost the main thread's garbage collector
   * more than the copy itself.
   */
  async prepare(bytes: Uint8Array, decode: DecodeOptions, preprocess: PreprocessOptions, plan?: ImagePlan): Promise<PreparedImage> {
    const task: ImageTask = { bytes, decode, preprocess, ...(plan ? { plan } : {}) };
    const result = (await this.pool.run(spansBuffer(bytes) ? movable(task, [bytes.buffer]) : task)) as ImageTaskResult;
    const { ok: _, ...prepared } = unlessFault(result);
    return prepared;
  }

  /**
   * The split in an IDX pair (gzipped or raw) of at most `maxImages` images
   * (no cap when absent; dataset-upload.ts: unpackDataset): header counts,
   * inflation and parsing. On the event loop, reading the header of a gzip
   * bomb inflated half a megabyte per upload, the capped inflation on
   * libuv's pool came back in hundreds of 16 kB chunks to be gathered and
   * joined there, and the test split took 50-180 ms to inflate: two clients
   * posting 1 MB bombs held every other request up (docs/benchmarks.md,
   * session 20). `images` and `labels` are moved to the thread when each is
   * the whole of its buffer: the caller must not read them after.
   */
  async unpackDataset(images: Uint8Array, labels: Uint8Array, maxImages?: number): Promise<Split> {
    const task: DatasetTask = { images, labels, ...(maxImages === undefined ? {} : { maxImages }) };
    const owned = [images, labels].filter(spansBuffer).map((b) => b.buffer);
    const result = (await this.pool.run(owned.length > 0 ? movable(task, owned) : task, { filename: DATASET_TASK })) as DatasetTaskResult;
    const { ok: _, ...split } = unlessFault(result);
    return split;
  }

  /** Threads alive now. */
  get running(): number {
    return this.pool.threads.length;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
