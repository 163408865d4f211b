import type { Hono } from 'hono';
import { HttpError } from './errors.ts';

/**
 * For a request no route matched: 405 with `Allow` when the path exists
 * under other methods (GET /classify), else 404. Catch-all patterns (the
 * static files' `*`) are left out, or every path would look like it exists.
 */
export function unmatched(app: Hono): (method: string, path: string) => HttpError {
  let table: { pattern: RegExp; method: string }[] | undefined;
  return (method, path) => {
    table ??= app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== '*' && r.path !== '/*')
      .map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.split('/').map(segment).join('/')}/?$`) }));
    const allowed = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (allowed.size === 0 || allowed.has(method)) return new HttpError('not_found', 'no such endpoint; see /docs');
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    return new HttpError('method_not_allowed', `${method.slice(0, 20)} is not allowed on ${path.slice(0, 100)}; use ${allow}`, { Allow: allow });
  };
}

function segment(s: string): string {
  if (s.startsWith(':')) return '[^/]+';
  if (s === '*') return '.*';
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
