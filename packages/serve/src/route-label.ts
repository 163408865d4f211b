import type { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';

/**
 * The route pattern a request was addressed to, for metric labels, when the
 * answer came from an app-wide middleware (a 413 or 503 from the body guard
 * is answered before any route matches, and Hono then reports `/*`).
 * Patterns keep the label's cardinality bounded, as routePath does.
 */
export function routeOf(app: Hono): (method: string, path: string) => string | undefined {
  let router: TrieRouter<string> | undefined;
  return (method, path) => {
    // Built on first use: the routes are registered after the middleware that asks.
    if (!router) {
      router = new TrieRouter<string>();
      for (const r of app.routes) if (r.method !== 'ALL' && !r.path.includes('*')) router.add(r.method, r.path, r.path);
    }
    const [matches] = router.match(method, path);
    return matches[0]?.[0];
  };
}
