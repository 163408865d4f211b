import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { trackExchanges } from './exchanges.ts';

/** How long a closing connection keeps reading (and dropping) what its client still sends: nginx's lingering_timeout is 5 s. */
export const LINGER_MS = 2000;

/**
 * How many closing connections may linger at once. Draining every refused
 * upload at full speed let 300 refused 10 MB uploads push about 3 GB
 * through loopback in the first seconds, and every other client's packets
 * queued behind that burst: /healthz waited 2.6-4.5 s while the server's
 * event loop was never blocked that long (docs/benchmarks.md, bench:abuse
 * case 6; with no draining the stall was gone). A few refusals at a time,
 * the normal case, all linger; under a flood of them the rest close at once.
 */
export const LINGER_MAX_CONNECTIONS = 16;

/**
 * How many of those may be connections refused with a 503 (load shed). A
 * shed connection's drain is the work the server is shedding: 300 refused
 * 10 MB uploads, 16 of them lingering at a time, cost the server twice the
 * CPU of closing them at once, and held /healthz for 3-3.6 s
 * (docs/benchmarks.md, session 19, bench:abuse case 6). Closed at once, a
 * client that has not yet read its 503 when the reset arrives loses it
 * (the kernel drops what it has not read), so a few still linger.
 */
export const LINGER_MAX_SHED = 2;

export interface LingerCount {
  lingering: number;
  peak: number;
}

/**
 * A staged close (RFC 9112 section 9.6) for connections Node closes after a
 * response with `Connection: close`: the server finishes its answer and
 * half-closes, then reads and drops what the client is still sending until
 * the client closes too or `lingerMs` passes. Closing at once, with part of
 * a refused upload unread, makes the kernel answer the client's next bytes
 * with a reset, and a reset discards the refusal the client has not read
 * yet: it sees ECONNRESET instead of the 413 or 422 that says why. The
 * bytes are dropped as they arrive (time, not memory). At most
 * `maxLingering` connections linger at once; beyond that a connection
 * closes as Node closes it, which a client that reads while it sends (every
 * browser, curl, undici) survives with its answer read.
 * Of those, at most `maxShed` are connections whose last answer was a 503.
 * Returns the count of lingering connections, now and at most (for tests).
 */
export function lingerOnClose(server: Server, lingerMs = LINGER_MS, maxLingering = LINGER_MAX_CONNECTIONS, maxShed = LINGER_MAX_SHED): LingerCount {
  const count: LingerCount = { lingering: 0, peak: 0 };
  let shedLingering = 0;
  const exchangeOf = trackExchanges(server);
  server.on('connection', (socket: Socket) => {
    // Node's HTTP server closes a `Connection: close` response's socket with destroySoon (end, then destroy).
    const closeAtOnce = socket.destroySoon.bind(socket);
    socket.destroySoon = function lingeringClose(this: Socket): void {
      const shed = exchangeOf(this)?.res.statusCode === 503;
      if (count.lingering >= maxLingering || !this.readable || (shed && shedLingering >= maxShed)) {
        closeAtOnce();
        return;
      }
      count.lingering += 1;
      if (shed) shedLingering += 1;
      count.peak = Math.max(count.peak, count.lingering);
      this.once('close', () => {
        count.lingering -= 1;
        if (shed) shedLingering -= 1;
      });
      if (this.writable) this.end();
      const stop = () => this.destroy();
      this.once('end', stop);
      setTimeout(stop, lingerMs).unref();
      this.resume();
    };
  });
  return count;
}
