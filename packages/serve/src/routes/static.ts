import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

/**
 * The web demo's build at `/`. COOP/COEP make the page cross-origin
 * isolated, which onnxruntime-web needs for multi-threaded wasm
 * (SharedArrayBuffer).
 */
export function staticRoutes(dir: string) {
  return new Hono()
    .use('*', async (c, next) => {
      await next();
      c.header('Cross-Origin-Opener-Policy', 'same-origin');
      c.header('Cross-Origin-Embedder-Policy', 'require-corp');
      c.header('Cross-Origin-Resource-Policy', 'same-origin');
    })
    .get('*', serveStatic({ root: dir }));
}
