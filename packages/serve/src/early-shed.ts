import type { MiddlewareHandler } from 'hono';
import type { ServeContext } from './context.ts';
import { SMALL_PNG_BYTES } from './decode.ts';
import { HttpError } from './errors.ts';

/**
 * Photo uploads refused before their body is read while the decode queue is
 * full, or while as many uploads as it can take are being read
 * (photo-admission.ts). Shedding after the read (as the queue itself does) still costs the
 * event loop the whole body: under 300 connections sending 660 kB JPEGs that
 * was over 200 MB/s of bodies read only to answer 503, and every other
 * client, /healthz included, waited behind it. A body too small to leave the
 * small-PNG path is let through: it never waits for the decode queue.
 * `Connection: close` stops the unread body from being drained for keep-alive.
 * Under server.ts, shedBeforeApp takes these refusals first (and holds them
 * for --shed-delay-ms); this middleware answers the ones it did not see: an
 * app run without that listener (app.request, another HTTP server). They
 * are answered at once: the hold is a measure against a flood of
 * connections, which server.ts's listener is the one to see.
 */
export function shedPhotosEarly(ctx: ServeContext): MiddlewareHandler {
  return async (c, next) => {
    const length = Number(c.req.header('content-length') ?? Number.POSITIVE_INFINITY); // chunked: size unknown, judged as large
    if (length <= SMALL_PNG_BYTES) return next();
    const refusal = photoRefusal(ctx);
    if (refusal) throw refusal;
    const release = ctx.photoAdmission.admit();
    try {
      await next();
    } finally {
      release();
    }
  };
}

/** The answer to a photo upload while the decode queue is full or as many uploads as it can take are being read, counted as shed; undefined when it is admitted. */
export function photoRefusal(ctx: ServeContext): HttpError | undefined {
  if (!photoIntakeFull(ctx)) return undefined;
  ctx.metrics.shed.inc({ queue: 'decode' });
  return new HttpError('queue_full', 'the server is decoding as many photos as it can queue; retry shortly', { 'Retry-After': '1', Connection: 'close' });
}

/** Whether a photo upload would be refused now: the decode queue is full, or as many uploads as it can take are being read. */
export function photoIntakeFull(ctx: ServeContext): boolean {
  return ctx.decodeQueue.full || ctx.photoAdmission.full;
}
