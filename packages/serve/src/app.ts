import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { bodyGuard } from './body-guard.ts';
import type { ServeContext } from './context.ts';
import { HttpError } from './errors.ts';
import { unmatched } from './method-not-allowed.ts';
import { classifyRoutes } from './routes/classify.ts';
import { docsRoutes } from './routes/docs.ts';
import { evaluateRoutes } from './routes/evaluate.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { samplesRoutes } from './routes/samples.ts';
import { staticRoutes } from './routes/static.ts';
import { recordRequest } from './metrics.ts';
import { isV2Path, v2Routes } from './routes/v2.ts';
import { routeOf } from './route-label.ts';
import { securityHeaders } from './security-headers.ts';
import { ClientGoneError } from './work-queue.ts';

/** Composes the route modules into one app; no I/O here, so tests can build it around any context. */
export function createApp(ctx: ServeContext, log: (message: string) => void = console.error) {
  const app = new Hono();
  const addressed = routeOf(app);

  // First, so that errors answered further in get the headers too.
  app.use('*', securityHeaders());

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
      const matched = c.req.routePath;
      const route = matched === '*' || matched === '/*' ? (addressed(c.req.method, c.req.path) ?? 'unmatched') : matched;
      recordRequest(ctx.metrics, route, c.req.method, c.res.status, started);
    }
  });

  app.use('*', bodyGuard(ctx));

  app.route('/', healthRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  app.route('/', docsRoutes());
  app.route('/', classifyRoutes(ctx));
  app.route('/', evaluateRoutes(ctx));
  app.route('/', samplesRoutes(ctx));
  app.route('/', v2Routes(ctx));
  if (ctx.staticDir) app.route('/', staticRoutes(ctx.staticDir));
  else
    app.get('/', (c) =>
      c.json({ name: 'fmnist-serve', docs: '/docs', openapi: '/openapi.json', note: 'the web demo is served here once packages/web-demo/dist exists' }),
    );

  const noRoute = unmatched(app);
  app.notFound((c) => {
    throw noRoute(c.req.method, c.req.path);
  });

  app.onError((err, c) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof ClientGoneError) {
      // Nobody reads this answer; the status tells it apart from a server fault in /metrics.
      ctx.metrics.cancelled.inc({ stage: err.stage });
      e = new HttpError('client_gone', err.message);
    } else if (err instanceof HTTPException)
      e = new HttpError(
        err.status === 413 ? 'payload_too_large' : err.status < 500 ? 'bad_request' : 'internal',
        err.status < 500 ? err.message || 'bad request' : 'internal error',
      );
    else {
      // Unexpected: log the details here, never send them.
      log(`internal error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      e = new HttpError('internal', 'internal error');
    }
    ctx.metrics.errors.inc({ code: e.code });
    // The Open Inference Protocol's error object is a bare message; the code is still counted above.
    return c.json(isV2Path(c.req.path) ? { error: e.message } : e.toJSON(), e.status, e.headers);
  });
  return app;
}
