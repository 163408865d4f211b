/** The benchmark's baseline: an empty Hono POST handler on @hono/node-server (reads the body, answers JSON). */
import { Hono } from 'hono';
import { serve } from '@hono/node-server';

const app = new Hono().post('/', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ ok: true });
});
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
