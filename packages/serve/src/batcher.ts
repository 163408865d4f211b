import { IMAGE_PIXELS, NUM_CLASSES, type ClassifierScores } from '@fmnist/core';
import { HttpError } from './errors.ts';

export interface BatcherOptions {
  /** Largest batch one session run takes. 1 = batching off. */
  maxBatch: number;
  /** How long the first queued image may wait for company before its batch runs anyway. */
  maxDelayMs: number;
  /** Images waiting beyond this answer 503 with Retry-After. */
  maxQueue: number;
}

/**
 * 16, not 32: under 32 concurrent connections on two cores, a batch of 16
 * runs while the event loop parses and decodes the next 16, where a batch of
 * 32 left one side idle while the other worked: 5,498 against 4,414 req/s
 * over three paired rounds (bench:batch, docs/benchmarks.md). On a GPU,
 * larger batches pay off.
 */
export const DEFAULT_BATCHING: BatcherOptions = { maxBatch: 16, maxDelayMs: 2, maxQueue: 512 };

interface Pending<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (e: unknown) => void;
}

export interface BatchObserver {
  batch?(size: number, seconds: number): void;
  depth?(queued: number): void;
  /** An item was refused because the queue was full. */
  shed?(): void;
}

/**
 * Dynamic batching for one graph: concurrent single-item requests are
 * coalesced into one session run. At most `concurrency` runs at a time per
 * graph (one unless the graph has several sessions), so while a batch runs
 * the next one fills up: under load batches grow by themselves, and an idle
 * server adds at most `maxDelayMs` to a lone request.
 * `runBatch` answers one output per item, in order.
 */
export class BatchQueue<In, Out> {
  private queue: Pending<In, Out>[] = [];
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly runBatch: (items: In[]) => Promise<Out[]>,
    readonly options: BatcherOptions,
    private readonly observer: BatchObserver = {},
    /** What the queue holds, for the 503 message ('inference', 'explanation'). */
    private readonly what = 'inference',
    /** Batches that may run at once: the sessions `runBatch` spreads them over. */
    private readonly concurrency = 1,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** True when the next item would be refused. */
  get full(): boolean {
    return this.queue.length >= this.options.maxQueue;
  }

  /** Queues one item; resolves with its own output. */
  submit(item: In): Promise<Out> {
    if (this.queue.length >= this.options.maxQueue) {
      this.observer.shed?.();
      return Promise.reject(
        new HttpError('queue_full', `the ${this.what} queue is full (${this.options.maxQueue} images); retry shortly`, { 'Retry-After': '1' }),
      );
    }
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.observer.depth?.(this.queue.length);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.concurrency) return; // a running batch's completion schedules the next
    if (this.queue.length >= this.options.maxBatch || this.options.maxDelayMs <= 0) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running >= this.concurrency || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.observer.depth?.(this.queue.length);
    this.running++;
    const started = performance.now();
    this.runBatch(batch.map((p) => p.item))
      .then((outputs) => {
        this.observer.batch?.(batch.length, (performance.now() - started) / 1000);
        batch.forEach((p, i) => p.resolve(outputs[i]!));
      })
      .catch((err: unknown) => batch.forEach((p) => p.reject(err)))
      .finally(() => {
        this.running--;
        // Work that queued up during the run goes at once: it has waited long enough.
        if (this.queue.length > 0) this.flush();
      });
  }

  /** Resolves once the queue is empty and no batch is running (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

/** A classifier's batcher: 784 floats in, that image's row of logits and probabilities out. */
export class Batcher extends BatchQueue<Float32Array, ClassifierScores> {
  constructor(run: (input: Float32Array, n: number) => Promise<ClassifierScores>, options: BatcherOptions, observer: BatchObserver = {}) {
    super(
      async (images) => {
        const input = new Float32Array(images.length * IMAGE_PIXELS);
        images.forEach((image, i) => input.set(image, i * IMAGE_PIXELS));
        const scores = await run(input, images.length);
        return images.map((_, i) => ({
          logits: scores.logits.slice(i * NUM_CLASSES, (i + 1) * NUM_CLASSES),
          probabilities: scores.probabilities.slice(i * NUM_CLASSES, (i + 1) * NUM_CLASSES),
        }));
      },
      options,
      observer,
    );
  }

  /** Scores one image (784 floats). */
  override submit(input: Float32Array): Promise<ClassifierScores> {
    if (input.length !== IMAGE_PIXELS) return Promise.reject(new RangeError(`an image is ${IMAGE_PIXELS} floats, got ${input.length}`));
    return super.submit(input);
  }
}
