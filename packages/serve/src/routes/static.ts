import { Hono, type MiddlewareHandler } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

/**
 * How long browsers keep each kind of file. Vite puts content-hashed files
 * under `assets/` (a new build gives them new names), so they never change;
 * everything else (the HTML, the models, their manifest) keeps its URL across
 * builds and is revalidated on every use, which costs a 304 when unchanged.
 */
export const CACHE_CONTROL = {
  hashed: 'public, max-age=31536000, immutable',
  revalidate: 'no-cache',
} as const;

const HASHED_PATH = /^\/assets\//;

/** One byte range (`bytes=0-99`, `bytes=100-`, `bytes=-100`): the only Range form this route serves. */
const SINGLE_RANGE = /^bytes=(?:\d+-\d*|-\d+)$/;

/**
 * serveStatic answers a Range it cannot parse with 206 and the whole file.
 * A Range that is not one byte range (`bytes=abc`, another unit, several
 * ranges) is ignored instead, as RFC 9110 allows: the client gets a plain 200.
 * (A well-formed but unsatisfiable range still gets serveStatic's 416.)
 */
const ignoreUnservableRange: MiddlewareHandler = async (c, next) => {
  const range = c.req.header('range');
  if (range !== undefined && !SINGLE_RANGE.test(range.trim())) c.req.raw.headers.delete('range');
  await next();
};

/** A validator from what identifies the bytes sent: their size, time and encoding (the br and gzip files differ). */
function weakEtag(headers: Headers): string | undefined {
  const modified = headers.get('last-modified');
  const length = headers.get('content-length');
  if (!modified || !length) return undefined;
  const encoding = headers.get('content-encoding') ?? 'identity';
  return `W/"${Number(length).toString(16)}-${(Date.parse(modified) / 1000).toString(16)}-${encoding}"`;
}

/** Weak comparison (RFC 9110 8.8.3.2): `W/` prefixes do not count; `*` matches any. */
function matchesIfNoneMatch(header: string, etag: string): boolean {
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

function notModifiedSince(header: string, lastModified: string): boolean {
  const since = Date.parse(header);
  const modified = Date.parse(lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}

/**
 * Cache lifetimes, `Vary`, an ETag, and 304 for a request whose copy is
 * still current (serveStatic sends Last-Modified but never answers 304).
 */
const caching: MiddlewareHandler = async (c, next) => {
  await next();
  const res = c.res;
  if (res.status !== 200 && res.status !== 206) return;
  // The same URL answers br, gzip or identity by Accept-Encoding: caches must keep them apart.
  c.header('Vary', 'Accept-Encoding');
  c.header('Cache-Control', HASHED_PATH.test(c.req.path) ? CACHE_CONTROL.hashed : CACHE_CONTROL.revalidate);
  const etag = weakEtag(res.headers);
  if (!etag) return;
  c.header('ETag', etag);
  const ifNoneMatch = c.req.header('if-none-match');
  const lastModified = res.headers.get('last-modified') ?? '';
  const ifModifiedSince = c.req.header('if-modified-since');
  const fresh =
    ifNoneMatch !== undefined ? matchesIfNoneMatch(ifNoneMatch, etag) : ifModifiedSince !== undefined && notModifiedSince(ifModifiedSince, lastModified);
  if (!fresh || res.status !== 200) return;
  // Close the file stream serveStatic opened; the client keeps its copy.
  await res.body?.cancel().catch(() => undefined);
  const headers = new Headers(c.res.headers);
  for (const h of ['content-length', 'content-encoding', 'content-type']) headers.delete(h);
  c.res = new Response(null, { status: 304, headers });
};

/**
 * The web demo's build at `/`. COOP/COEP make the page cross-origin
 * isolated, which onnxruntime-web needs for multi-threaded wasm
 * (SharedArrayBuffer). Files are sent precompressed (`<file>.br` or
 * `<file>.gz` beside the file, written by the demo's build) when the client
 * accepts that encoding.
 */
export function staticRoutes(dir: string) {
  return new Hono()
    .use('*', async (c, next) => {
      await next();
      c.header('Cross-Origin-Opener-Policy', 'same-origin');
      c.header('Cross-Origin-Embedder-Policy', 'require-corp');
      c.header('Cross-Origin-Resource-Policy', 'same-origin');
    })
    .get('*', ignoreUnservableRange, caching, serveStatic({ root: dir, precompressed: true }));
}
