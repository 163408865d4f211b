import { Hono } from 'hono';
import type { ServeContext } from '../context.ts';

/** Prometheus text exposition. */
export function metricsRoutes(ctx: ServeContext) {
  return new Hono().get('/metrics', async (c) => {
    c.header('Content-Type', ctx.metrics.registry.contentType);
    return c.body(await ctx.metrics.registry.metrics());
  });
}
