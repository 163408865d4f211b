import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { guardConnections, httpServerOptions } from './connections.ts';
import type { ServeContext } from './context.ts';
import { HttpError } from './errors.ts';
import type { ConnectionLimits } from './limits.ts';
import { recordRequest } from './metrics.ts';
import { unmatched } from './method-not-allowed.ts';
import { probeRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { securityHeaders } from './security-headers.ts';

/**
 * /healthz, /readyz and /metrics on a listening socket of their own
 * (--admin-port). Node 20's libuv accepts one connection per listening socket
 * per event-loop turn, so under a flood of new connections a probe's new
 * connection on the main port waits one turn for each connection ahead of it
 * in the kernel's accept queue (about 100 ms behind 300, docs/benchmarks.md);
 * on this socket it waits behind other probes only. Probes are not work: they
 * are neither counted in flight nor refused while shutting down (/readyz says so).
 */
export function createAdminApp(ctx: ServeContext, log: (message: string) => void): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = c.req.routePath;
      recordRequest(ctx.metrics, matched === '*' || matched === '/*' ? 'unmatched' : matched, c.req.method, c.res.status, started);
    }
  });
  app.route('/', probeRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  const noRoute = unmatched(app);
  app.notFound((c) => {
    throw noRoute(c.req.method, c.req.path);
  });
  app.onError((err, c) => {
    if (!(err instanceof HttpError))
      log(`internal error on the admin port, ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    const e = err instanceof HttpError ? err : new HttpError('internal', 'internal error');
    ctx.metrics.errors.inc({ code: e.code });
    return c.json(e.toJSON(), e.status, e.headers);
  });
  return app;
}

/** Starts the admin listener on `port` (0: any free one); resolves once it listens. */
export async function listenAdmin(
  ctx: ServeContext,
  port: number,
  host: string,
  connections: ConnectionLimits,
  log: (message: string) => void,
): Promise<Server> {
  const listener = getRequestListener(createAdminApp(ctx, log).fetch, { hostname: host });
  const server = createServer(httpServerOptions(connections), (req, res) => void listener(req, res));
  guardConnections(server, connections, ctx.metrics);
  server.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return server;
}
