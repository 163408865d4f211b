import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { SHIPPED_MODELS, type PreprocessOptions } from '@fmnist/core';
import { createServer, type Server } from 'node:http';
import { createApp } from './app.ts';
import { DEFAULT_BATCHING, type BatcherOptions } from './batcher.ts';
import { guardConnections, httpServerOptions } from './connections.ts';
import { type AdminListener, startAdminListener } from './admin-listener.ts';
import { lingerOnClose } from './linger.ts';
import { makeBatchers, makeExplainBatchers, makeQueues, type ServeContext } from './context.ts';
import { DEFAULT_DECODE, type DecodeBudget } from './decode-budget.ts';
import { DEFAULT_CONNECTIONS, DEFAULT_LIMITS, type ConnectionLimits, type Limits } from './limits.ts';
import { createMetrics } from './metrics.ts';
import { testSetLoader } from './test-set.ts';
import { ModelRegistry } from './registry.ts';
import { shedBeforeApp } from './shed-before-app.ts';
import type { Device, SessionFactory } from './session-types.ts';
import { DEFAULT_BACKGROUND_NICENESS } from './threads/background-priority.ts';
import { ImagePool } from './threads/image-pool.ts';
import { setBackgroundNiceness } from './threads/thread-session.ts';

export interface ServerOptions {
  modelsDir: string;
  port: number;
  host: string;
  /** A second port for /healthz, /readyz and /metrics only, served by a thread of its own (admin-listener.ts); absent: none. */
  adminPort?: number;
  /** On the admin port, how long the event loop may go without a turn before /healthz says 503. */
  adminStallMs?: number;
  device: Device;
  dataDir: string;
  defaultModel?: string;
  staticDir?: string;
  batching?: Partial<BatcherOptions>;
  limits?: Partial<Limits>;
  decode?: Partial<DecodeBudget>;
  connections?: Partial<ConnectionLimits>;
  preprocess?: PreprocessOptions;
  /** Sessions per explanation graph; absent: each graph's own, from its measured cost (explain-lanes.ts). */
  explainLanes?: number;
  /** Niceness of the photo-decoding and /evaluate threads (threads/background-priority.ts); absent: the default, 0: as they are. */
  backgroundNiceness?: number;
  /** Tests inject failing or slow sessions here. */
  sessionFactory?: SessionFactory;
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  /** The admin listener's base URL, when --admin-port was given. */
  adminUrl?: string;
  ctx: ServeContext;
  /** Stops accepting, lets in-flight requests finish (up to `timeoutMs`), releases the sessions. */
  close(timeoutMs?: number): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => console.error(m));
  const niceness = options.backgroundNiceness ?? DEFAULT_BACKGROUND_NICENESS;
  setBackgroundNiceness(niceness);
  // The image threads start while the models load.
  const images = new ImagePool(undefined, niceness);
  const [loaded, warmed] = await Promise.allSettled([
    ModelRegistry.load(options.modelsDir, {
      device: options.device,
      ...(options.sessionFactory ? { factory: options.sessionFactory } : {}),
      ...(options.explainLanes ? { explainLanes: options.explainLanes } : {}),
      log,
    }),
    images.warm(),
  ]);
  if (loaded.status === 'rejected' || warmed.status === 'rejected') {
    // Whichever half succeeded holds threads that would keep the process alive.
    await Promise.all([images.close(), loaded.status === 'fulfilled' ? loaded.value.release() : undefined]);
    throw loaded.status === 'rejected' ? loaded.reason : (warmed as PromiseRejectedResult).reason;
  }
  const registry = loaded.value;
  const metrics = createMetrics();
  const batching = { ...DEFAULT_BATCHING, ...options.batching };
  const names = registry.list().map((m) => m.name);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const connections = { ...DEFAULT_CONNECTIONS, ...options.connections };
  const ctx: ServeContext = {
    registry,
    batchers: makeBatchers(registry, batching, metrics),
    explainBatchers: makeExplainBatchers(registry, batching, metrics, 2 * limits.maxBatchImages),
    metrics,
    limits,
    decode: { ...DEFAULT_DECODE, ...options.decode },
    ...makeQueues(limits, images.threads, metrics),
    testSet: testSetLoader(options.dataDir, images),
    preprocess: options.preprocess ?? {},
    images,
    // The first shipped model present (core's list: the photo-tuned CNN first); otherwise whatever is there, so a lone mlp.onnx still works.
    defaultModel: options.defaultModel ?? SHIPPED_MODELS.find((n) => names.includes(n)) ?? names[0]!,
    dataDir: options.dataDir,
    state: { ready: true, shuttingDown: false, inFlight: 0, inflightBodyBytes: 0 },
  };
  if (options.staticDir && existsSync(options.staticDir)) ctx.staticDir = options.staticDir;
  const app = createApp(ctx, log);

  // serve() would build the same server; this one lets the cheapest refusals skip the app (shed-before-app.ts).
  const appListener = getRequestListener(app.fetch, { hostname: options.host });
  const shed = shedBeforeApp(ctx);
  const server: Server = createServer(httpServerOptions(connections), (req, res) => {
    if (!shed(req, res)) void appListener(req, res);
  });
  server.listen(options.port, options.host);
  guardConnections(server, connections, metrics);
  lingerOnClose(server);
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let admin: AdminListener | undefined;
  try {
    if (options.adminPort !== undefined)
      admin = await startAdminListener(ctx, {
        port: options.adminPort,
        host: options.host,
        connections,
        log,
        ...(options.adminStallMs ? { maxStallMs: options.adminStallMs } : {}),
      });
  } catch (err) {
    server.close();
    await Promise.all([registry.release(), ctx.images.close()]);
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (timeoutMs = 10_000) =>
    (closing ??= (async () => {
      ctx.state.shuttingDown = true;
      ctx.state.ready = false;
      admin?.publish();
      // Stop accepting; idle keep-alive sockets would otherwise hold close() open.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (ctx.state.inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      }
      for (const b of [...ctx.batchers.values(), ...ctx.explainBatchers.values()]) await b.drain();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await admin?.close();
      await Promise.all([registry.release(), ctx.images.close()]);
    })());
  const adminUrl = admin ? `http://${host}:${admin.port}` : undefined;
  return { url: `http://${host}:${port}`, port, ...(adminUrl ? { adminUrl } : {}), ctx, close };
}
