import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { SessionRunner, TensorValue } from '@fmnist/core';
import type { Provider, SessionFactory, SessionLane } from '../session-types.ts';
import type { SessionDescription, SessionTask, SessionTaskResult } from './protocol.ts';
import { DEFAULT_BACKGROUND_NICENESS } from './background-priority.ts';
import { tsxWorker } from './worker-file.ts';

/**
 * A thread that hosts sessions. Created with its first session, destroyed
 * with its last, so an idle process (or a finished test) holds no thread.
 */
class SessionThread {
  private pool: Piscina<SessionTask, SessionTaskResult> | undefined;
  private open = 0;

  /** `background`: the thread takes the background niceness (set by setBackgroundNiceness) when it starts. */
  constructor(private readonly background = false) {}

  get sessions(): number {
    return this.open;
  }

  run(task: SessionTask): Promise<SessionTaskResult> {
    this.pool ??= new Piscina({
      ...tsxWorker('./session-task.ts', this.background ? { niceness: backgroundNiceness } : {}),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
    });
    return this.pool.run(task);
  }

  opened(): void {
    this.open++;
  }

  async closed(): Promise<void> {
    if (--this.open > 0 || !this.pool) return;
    const pool = this.pool;
    this.pool = undefined;
    await pool.destroy();
  }
}

/**
 * Serving sessions (one intra-op thread each) share one thread: the batchers
 * keep them busy one batch at a time, and on two cores a thread per model
 * would only contend. Bulk sessions (/evaluate, all cores) get their own,
 * so a test-set evaluation never holds up a /classify batch, at background
 * priority, so that it does not slow the event loop either.
 */
const serving = new SessionThread();
const bulk = new SessionThread(true);
let backgroundNiceness = DEFAULT_BACKGROUND_NICENESS;

/**
 * The niceness of the bulk (/evaluate) session thread, and so of the
 * onnxruntime threads its sessions start; takes effect for a thread started
 * after the call (the server calls it before loading models).
 */
export function setBackgroundNiceness(niceness: number): void {
  backgroundNiceness = niceness;
}
/**
 * Explanation graphs run many times longer than their classifiers: in threads
 * of their own, a plain /classify batch never waits behind one. One thread per
 * core at most; a new session goes to the thread holding fewest, so the lanes
 * of one explanation graph (explain-lanes.ts) run in different threads.
 */
const explaining = Array.from({ length: availableParallelism() }, () => new SessionThread());
const leastBusy = (threads: SessionThread[]) => threads.reduce((a, b) => (b.sessions < a.sessions ? b : a));
let nextId = 1;

/**
 * Sessions that run outside the main thread. onnxruntime-node runs
 * inference synchronously in the calling thread; in the main thread every
 * batch stalled HTTP parsing and decoding for its whole duration (a fifth
 * of the main thread's time under load). The session thread opens the
 * session itself, so a CUDA failure surfaces here just as in-thread.
 */
export const threadSessionFactory: SessionFactory = async (bytes: Uint8Array, provider: Provider, threads = 1, lane?: SessionLane): Promise<SessionRunner> => {
  const thread = threads > 1 ? bulk : lane === 'explain' ? leastBusy(explaining) : serving;
  const id = nextId++;
  thread.opened();
  let description: SessionDescription;
  try {
    description = (await thread.run({ op: 'open', id, bytes, provider, threads })) as SessionDescription;
  } catch (err) {
    await thread.closed();
    throw err instanceof Error ? err : new Error(String(err));
  }
  return {
    inputNames: description.inputNames,
    outputNames: description.outputNames,
    async run(feeds, outputs): Promise<Record<string, TensorValue>> {
      // TensorValues are plain arrays: they cross the thread boundary as they are (ort.Tensor objects would not).
      return (await thread.run({ op: 'run', id, feeds, ...(outputs ? { outputs } : {}) })) as Record<string, TensorValue>;
    },
    async release(): Promise<void> {
      try {
        await thread.run({ op: 'close', id });
      } finally {
        await thread.closed();
      }
    },
  };
};
