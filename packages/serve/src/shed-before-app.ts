import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyBudgetRefusal } from './body-guard.ts';
import type { ServeContext } from './context.ts';
import { SMALL_PNG_BYTES } from './decode.ts';
import { photoIntakeFull, photoRefusal } from './early-shed.ts';
import type { HttpError } from './errors.ts';
import { recordRequest } from './metrics.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** The routes that take photo uploads, whose refusals a flood makes frequent. */
const PHOTO_ROUTES = new Set(['/classify', '/classify/batch']);

/**
 * Photo uploads shed on their headers alone, answered before hono sees the
 * request. Under a flood of uploads (bench:abuse case 4: 300 connections,
 * about 1,200 refusals a second, each client reconnecting at once), the
 * refusals took most of the event loop, and building each one's web Request,
 * running the middleware and turning the Response back into Node's took
 * about a sixth of it; every other client waited behind them. The decisions
 * are the app's own (bodyBudgetRefusal, photoRefusal, in the order the app
 * takes them), and so is the answer: status, JSON error, headers, metrics.
 * Anything else (small bodies, other routes, sizes over the limit, a server
 * shutting down) goes to the app, which answers it as before.
 * The answer waits limits.shedDelayMs, the body unread: a flood's clients reconnect
 * and retry as soon as they are answered, so an immediate 503 let 300
 * connections make 1,100-2,000 refusals a second, and the event loop spent
 * its time on them instead of the photos it had admitted and the other
 * clients (docs/benchmarks.md, session 25).
 * Returns whether it took the request (answered, or will).
 */
export function shedBeforeApp(ctx: ServeContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { maxBodyBytes, maxInflightBodyBytes, shedDelayMs } = ctx.limits;
  return (req, res) => {
    // Whether any refusal is possible at all, from the server's state alone: a request is looked at (its
    // headers object, which Node builds on first read) only then, so the path costs the normal case nothing.
    const mayShed = photoIntakeFull(ctx) || ctx.state.inflightBodyBytes + maxBodyBytes > maxInflightBodyBytes;
    if (!mayShed || req.method !== 'POST' || ctx.state.shuttingDown) return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const route = query < 0 ? url : url.slice(0, query);
    if (!PHOTO_ROUTES.has(route)) return false;
    const started = performance.now();
    // As the body guard judges it: a chunked body may grow to the limit; a stated length is taken at its word.
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const length = chunked ? maxBodyBytes : Number(req.headers['content-length'] ?? 0);
    if (!(length > SMALL_PNG_BYTES) || length > maxBodyBytes) return false;
    const refusal = bodyBudgetRefusal(ctx, length) ?? photoRefusal(ctx);
    if (!refusal) return false;
    if (shedDelayMs <= 0) {
      answer(ctx, res, route, refusal, started);
      return true;
    }
    // Held. Its body stays unread meanwhile: nothing reads the request, so Node stops reading the socket once
    // its buffer is full (about 80 kB in).
    setTimeout(() => {
      if (!res.destroyed && !res.socket?.destroyed) answer(ctx, res, route, refusal, started);
    }, shedDelayMs).unref();
    return true;
  };
}

function answer(ctx: ServeContext, res: ServerResponse, route: string, e: HttpError, started: number): void {
  const body = JSON.stringify(e.toJSON());
  res.writeHead(e.status, {
    ...SECURITY_HEADERS,
    ...e.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  ctx.metrics.errors.inc({ code: e.code });
  recordRequest(ctx.metrics, route, 'POST', e.status, started);
}
