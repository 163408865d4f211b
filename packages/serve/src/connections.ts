import type { IncomingMessage, Server, ServerOptions as HttpServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { trackExchanges } from './exchanges.ts';
import type { ConnectionLimits } from './limits.ts';
import type { Metrics } from './metrics.ts';

/** Options for http.createServer: Node reads these timeouts when the server is built. */
export function httpServerOptions(limits: ConnectionLimits): HttpServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above every 30 s by default; a second keeps them close to their values.
    connectionsCheckingInterval: 1000,
  };
}

const stalled = new WeakSet<IncomingMessage>();

/** True when this request's body stopped arriving for longer than the idle timeout (answer 408). */
export function bodyTimedOut(req: IncomingMessage | undefined): boolean {
  return req !== undefined && stalled.has(req);
}

/**
 * Connection hygiene on a listening server: a connection cap, and an idle
 * timer per socket. When it fires while a request body is still arriving
 * (a client that sent most of an upload and stalled) the body's read fails,
 * the request is answered 408 and the connection closed, which frees the
 * buffered body; an
 * idle socket between requests is closed; a request being worked on (an
 * evaluation sends nothing for seconds) is left alone.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, metrics: Metrics): void {
  server.maxConnections = limits.maxConnections;
  const exchangeOf = trackExchanges(server);
  server.setTimeout(limits.bodyIdleTimeoutMs, (socket: Socket) => {
    const active = exchangeOf(socket);
    if (!active || active.res.writableFinished) {
      socket.destroy(); // idle between requests
      return;
    }
    if (active.req.complete) return; // the body is in; the answer is being worked on
    metrics.timeouts.inc({ kind: 'body_idle' });
    // The handler reading the body answers 408 itself (bodyTimedOut), so the response goes through the app
    // with its headers; failing the read, not destroying the socket, leaves the connection able to carry it.
    stalled.add(active.req);
    if (active.res.headersSent || active.req.listenerCount('error') === 0) socket.destroy();
    else active.req.emit('error', new Error('request body idle timeout'));
    // Whatever happens to that answer, the connection does not outlive it by more than a second.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
