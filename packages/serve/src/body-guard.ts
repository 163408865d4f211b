import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ServeContext } from './context.ts';
import { SMALL_PNG_BYTES } from './decode.ts';
import { HttpError } from './errors.ts';
import { unreadable } from './upload.ts';

/**
 * Request bodies, before any handler reads them: each one up to
 * maxBodyBytes (413), and all those over SMALL_PNG_BYTES being received at
 * once up to maxInflightBodyBytes (503), so a few hundred uploads that stall
 * just before their end cannot hold gigabytes between them.
 */
export function bodyGuard(ctx: ServeContext): MiddlewareHandler {
  const { maxBodyBytes } = ctx.limits;
  const tooLarge = () => {
    // The unread rest of the body makes the connection unusable for keep-alive: tell the client to close it.
    throw new HttpError('payload_too_large', `the request body is over the ${maxBodyBytes} byte limit`, { Connection: 'close' });
  };
  const streamedLimit = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });
  const reserve = async (_c: Context, bytes: number, next: () => Promise<void>) => {
    const refusal = bodyBudgetRefusal(ctx, bytes);
    if (refusal) throw refusal;
    ctx.state.inflightBodyBytes += bytes;
    ctx.metrics.inflightBodyBytes.set(ctx.state.inflightBodyBytes);
    try {
      await next();
    } finally {
      ctx.state.inflightBodyBytes -= bytes;
      ctx.metrics.inflightBodyBytes.set(ctx.state.inflightBodyBytes);
    }
  };
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // A stated Content-Length is checked from the header alone. hono's bodyLimit reads `c.req.raw.body` first,
    // which builds a web ReadableStream for every request and costs @hono/node-server its direct body read
    // (an eighth of the event loop's time per /classify); it still guards chunked bodies.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      const n = Number(length);
      if (n > maxBodyBytes) return tooLarge();
      // A body the size of a small PNG is not counted: the connection cap bounds what such bodies can hold
      // (1,024 x 32 kB), and every 28x28 request paid for the accounting (two gauge updates and a closure).
      return n > SMALL_PNG_BYTES ? reserve(c, n, next) : next();
    }
    // A chunked body may grow to the limit: reserve that much.
    return reserve(c, maxBodyBytes, async () => {
      try {
        await streamedLimit(c, next);
      } catch (err) {
        // Only reading the body throws here (the handlers' errors are answered further in).
        throw unreadable(c, err, 'the request body could not be read');
      }
    });
  };
}

/** The answer to a body that would take the bytes being received over --max-inflight-body-bytes, counted as shed; undefined when it fits. */
export function bodyBudgetRefusal(ctx: ServeContext, bytes: number): HttpError | undefined {
  if (ctx.state.inflightBodyBytes + bytes <= ctx.limits.maxInflightBodyBytes) return undefined;
  ctx.metrics.shed.inc({ queue: 'bodies' });
  return new HttpError('queue_full', 'the server is receiving too many uploads at once; retry shortly', { 'Retry-After': '2', Connection: 'close' });
}
