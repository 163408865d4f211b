import { Worker } from 'node:worker_threads';
import type { ServeContext } from './context.ts';
import { HttpError } from './errors.ts';
import type { ConnectionLimits } from './limits.ts';
import { readiness } from './routes/health.ts';
import { type AdminThreadData, errorAnswer, type FromAdmin, jsonAnswer, type ToAdmin } from './threads/admin-protocol.ts';

/** How often the event loop's heartbeat and readiness reach the admin thread. */
export const HEARTBEAT_MS = 25;

/** The admin port's /healthz says 503 once the event loop has not turned for this long (--stall-s). */
export const DEFAULT_MAX_STALL_MS = 5_000;

export interface AdminOptions {
  port: number;
  host: string;
  connections: ConnectionLimits;
  maxStallMs?: number;
  log: (message: string) => void;
}

export interface AdminListener {
  port: number;
  /** Sends the current readiness at once (shutdown does not wait for the next heartbeat). */
  publish(): void;
  close(): Promise<void>;
}

/** An error of the admin port's listen, with the errno code main.ts reports (EADDRINUSE, EACCES). */
export class AdminListenError extends Error {
  override readonly name = 'AdminListenError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * /healthz, /readyz and /metrics on a port of their own (--admin-port),
 * served by a thread of their own (threads/admin-thread.ts). On the main
 * port a probe's new connection waits in the kernel's accept queue one
 * event-loop turn per connection ahead of it (libuv accepts one per
 * listening socket per turn), and its request waits for the turn in
 * progress; under a flood both are long (docs/benchmarks.md, session 22).
 * Here the answers come from what this thread publishes every
 * HEARTBEAT_MS: the time of its last turn (liveness: a loop stalled longer
 * than maxStallMs is 503, so the probe still catches a hung server) and
 * /readyz's answer, computed by the same function as the main port's.
 */
export async function startAdminListener(ctx: ServeContext, options: AdminOptions): Promise<AdminListener> {
  const heartbeatBuffer = new SharedArrayBuffer(8);
  const heartbeat = new BigInt64Array(heartbeatBuffer);
  const beat = () => Atomics.store(heartbeat, 0, BigInt(Date.now()));
  beat();
  const data: AdminThreadData = {
    module: new URL('./threads/admin-thread.ts', import.meta.url).href,
    port: options.port,
    host: options.host,
    heartbeat: heartbeatBuffer,
    maxStallMs: options.maxStallMs ?? DEFAULT_MAX_STALL_MS,
    headersTimeoutMs: options.connections.headersTimeoutMs,
    requestTimeoutMs: options.connections.requestTimeoutMs,
    keepAliveTimeoutMs: options.connections.keepAliveTimeoutMs,
    idleTimeoutMs: options.connections.bodyIdleTimeoutMs,
    maxConnections: options.connections.maxConnections,
  };
  const worker = new Worker(new URL('./threads/tsx-thread.mjs', import.meta.url), { workerData: data });
  const send = (message: ToAdmin) => worker.postMessage(message);

  // What the last published answer said; the answer is built and sent only when that changes.
  let published = '';
  const publish = () => {
    const state = readiness(ctx);
    const key = state instanceof HttpError ? `${state.code} ${state.message}` : 'ready';
    if (key === published) return;
    published = key;
    send({ type: 'readiness', answer: state instanceof HttpError ? errorAnswer(state) : jsonAnswer(200, state) });
  };

  let closed: (() => void) | undefined;
  worker.on('message', (message: FromAdmin) => {
    if (message.type === 'metrics')
      ctx.metrics.registry.metrics().then(
        (body) => send({ type: 'metrics', id: message.id, answer: { status: 200, headers: { 'Content-Type': ctx.metrics.registry.contentType }, body } }),
        (err: unknown) => {
          options.log(`metrics for the admin port failed: ${String(err)}`);
          send({ type: 'metrics', id: message.id, answer: errorAnswer(new HttpError('internal', 'internal error')) });
        },
      );
    else if (message.type === 'closed') closed?.();
  });

  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: FromAdmin) => {
      if (message.type === 'listening') resolve(message.port);
      else if (message.type === 'listen-error') reject(new AdminListenError(message.code, `admin port ${options.port}: ${message.message}`));
      else return;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the admin thread exited with ${code} before it listened`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.on('error', (err) => options.log(`the admin thread failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));

  publish();
  const timer = setInterval(() => {
    beat();
    publish();
  }, HEARTBEAT_MS);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    port,
    publish,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        const done = new Promise<void>((resolve) => {
          closed = resolve;
          worker.once('exit', () => resolve());
        });
        send({ type: 'close' });
        await done;
        await worker.terminate();
      })()),
  };
}
