import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ServeContext } from './context.ts';
import { HttpError } from './errors.ts';
import { classifyRoutes } from './routes/classify.ts';
import { docsRoutes } from './routes/docs.ts';
import { evaluateRoutes } from './routes/evaluate.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { samplesRoutes } from './routes/samples.ts';
import { staticRoutes } from './routes/static.ts';
import { v2Routes } from './routes/v2.ts';

/** Composes the route modules into one app; no I/O here, so tests can build it around any context. */
export function createApp(ctx: ServeContext, log: (message: string) => void = console.error) {
  const app = new Hono();

  // Count in-flight requests (graceful shutdown waits for them) and record metrics.
  app.use('*', async (c, next) => {
    if (ctx.state.shuttingDown) {
      c.header('Connection', 'close');
      throw new HttpError('shutting_down', 'the server is shutting down');
    }
    ctx.state.inFlight++;
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.inFlight--;
      // routePath is the matched pattern ('/v2/models/:name/infer'), which keeps label cardinality bounded.
      const route = c.res.status === 404 && c.req.routePath === '*' ? 'unmatched' : c.req.routePath;
      ctx.metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
      ctx.metrics.latency.observe({ route }, (performance.now() - started) / 1000);
    }
  });

  const tooLarge = () => {
    // The unread rest of the body makes the connection unusable for keep-alive: tell the client to close it.
    throw new HttpError('payload_too_large', `the request body is over the ${ctx.limits.maxBodyBytes} byte limit`, { Connection: 'close' });
  };
  const streamedLimit = bodyLimit({ maxSize: ctx.limits.maxBodyBytes, onError: tooLarge });
  app.use('*', (c, next) => {
    // A stated Content-Length is checked from the header alone. hono's bodyLimit reads `c.req.raw.body` first,
    // which builds a web ReadableStream for every request and costs @hono/node-server its direct body read
    // (an eighth of the event loop's time per /classify); it still guards chunked bodies.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return Number(length) > ctx.limits.maxBodyBytes ? tooLarge() : next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return streamedLimit(c, next);
  });

  app.route('/', healthRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  app.route('/', docsRoutes());
  app.route('/', classifyRoutes(ctx));
  app.route('/', evaluateRoutes(ctx));
  app.route('/', samplesRoutes(ctx));
  app.route('/', v2Routes(ctx));
  if (ctx.staticDir) app.route('/', staticRoutes(ctx.staticDir));
  else app.get('/', (c) => c.json({ name: 'fmnist-serve', docs: '/docs', openapi: '/openapi.json', note: 'the web demo is served here once packages/web-demo/dist exists' }));

  app.notFound(() => {
    throw new HttpError('not_found', 'no such endpoint; see /docs');
  });

  app.onError((err, c) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof HTTPException) e = new HttpError(err.status === 413 ? 'payload_too_large' : err.status < 500 ? 'bad_request' : 'internal', err.status < 500 ? err.message || 'bad request' : 'internal error');
    else {
      // Unexpected: log the details here, never send them.
      log(`internal error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      e = new HttpError('internal', 'internal error');
    }
    ctx.metrics.errors.inc({ code: e.code });
    return c.json(e.toJSON(), e.status, e.headers);
  });
  return app;
}
