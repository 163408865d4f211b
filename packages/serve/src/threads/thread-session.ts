import { Piscina } from 'piscina';
import type ort from 'onnxruntime-node';
import type { OutputTensor, Provider, Session, SessionFactory } from '../registry.ts';
import type { SessionDescription, SessionTask, SessionTaskResult, WireTensor } from './protocol.ts';
import { tsxWorker } from './worker-file.ts';

/**
 * A thread that hosts sessions. Created with its first session, destroyed
 * with its last, so an idle process (or a finished test) holds no thread.
 */
class SessionThread {
  private pool: Piscina<SessionTask, SessionTaskResult> | undefined;
  private open = 0;

  run(task: SessionTask): Promise<SessionTaskResult> {
    this.pool ??= new Piscina({ ...tsxWorker('./session-task.ts'), minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
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
 * so a test-set evaluation never holds up a /classify batch.
 */
const serving = new SessionThread();
const bulk = new SessionThread();
let nextId = 1;

/**
 * Sessions that run outside the main thread. onnxruntime-node runs
 * inference synchronously in the calling thread; in the main thread every
 * batch stalled HTTP parsing and decoding for its whole duration (a fifth
 * of the main thread's time under load). The session thread opens the
 * session itself, so a CUDA failure surfaces here just as in-thread.
 */
export const threadSessionFactory: SessionFactory = async (bytes: Uint8Array, provider: Provider, threads = 1): Promise<Session> => {
  const thread = threads > 1 ? bulk : serving;
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
    async run(feeds: Record<string, ort.Tensor>, outputs?: readonly string[]): Promise<Record<string, OutputTensor>> {
      const wire: Record<string, WireTensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        if (t.type === 'float32') wire[name] = { type: 'float32', data: t.data as Float32Array, dims: t.dims };
        else if (t.type === 'int64') wire[name] = { type: 'int64', data: t.data as BigInt64Array, dims: t.dims };
        else throw new TypeError(`input '${name}' is ${t.type}; the models take float32 (and int64 class indices)`);
      }
      return (await thread.run({ op: 'run', id, feeds: wire, ...(outputs ? { outputs } : {}) })) as Record<string, WireTensor>;
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
