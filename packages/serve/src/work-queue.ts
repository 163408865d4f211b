import { HttpError } from './errors.ts';

export interface WorkQueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting beyond the running ones; more are shed. */
  maxWaiting: number;
  /** Summed cost of the waiting jobs; more is shed (a lone job is always admitted). */
  maxWaitingCost: number;
  /** What the queue is called in errors and metrics ('decode', 'evaluate'). */
  name: string;
}

export interface WorkQueueObserver {
  shed?(queue: string): void;
  depth?(queue: string, waiting: number): void;
}

interface Waiter {
  cost: number;
  start: () => void;
}

/** The client went away (closed connection, aborted event stream): nobody will read the answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor(readonly stage: string) {
    super(`the client went away during ${stage}`);
  }
}

/** Throws ClientGoneError when `signal` has fired: call it between steps, so abandoned work stops at the next one. */
export function stopIfGone(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new ClientGoneError(stage);
}

/**
 * Load shedding where the work is: a FIFO queue with a bounded number and
 * cost of waiting jobs. Beyond the bound a job is refused at once with 503
 * and Retry-After, instead of waiting for seconds behind the others; a
 * waiting job whose client has gone leaves the queue without running.
 */
export class WorkQueue {
  private running = 0;
  private waitingCost = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly options: WorkQueueOptions,
    private readonly observer: WorkQueueObserver = {},
  ) {}

  /** Jobs waiting (not running). */
  get depth(): number {
    return this.waiting.length;
  }

  /** True when the next job that has to wait would be shed. */
  get full(): boolean {
    return this.running >= this.options.concurrency && this.waiting.length >= this.options.maxWaiting;
  }

  get active(): number {
    return this.running;
  }

  async run<T>(cost: number, signal: AbortSignal | undefined, job: () => Promise<T>): Promise<T> {
    stopIfGone(signal, this.options.name);
    // A waiter that is started has its slot counted by next(), so nobody can slip in between.
    if (this.running < this.options.concurrency && this.waiting.length === 0) this.running++;
    else await this.wait(cost, signal);
    try {
      return await job();
    } finally {
      this.running--;
      this.next();
    }
  }

  private wait(cost: number, signal: AbortSignal | undefined): Promise<void> {
    const { maxWaiting, maxWaitingCost, name } = this.options;
    if (this.waiting.length >= maxWaiting || (this.waiting.length > 0 && this.waitingCost + cost > maxWaitingCost)) {
      this.observer.shed?.(name);
      throw new HttpError('queue_full', `the ${name} queue is full; retry shortly`, { 'Retry-After': '1' });
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.remove(i);
        reject(new ClientGoneError(`the ${name} queue`));
      };
      const waiter: Waiter = {
        cost,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.waitingCost += cost;
      this.observer.depth?.(name, this.waiting.length);
    });
  }

  private next(): void {
    if (this.running >= this.options.concurrency || this.waiting.length === 0) return;
    this.running++;
    this.remove(0).start();
  }

  private remove(i: number): Waiter {
    const [w] = this.waiting.splice(i, 1);
    this.waitingCost -= w!.cost;
    this.observer.depth?.(this.options.name, this.waiting.length);
    return w!;
  }
}
