import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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
 * A connection whose last answer was a 503 (load shed) never lingers: the
 * drain is the work the server is shedding. Under a flood of refused uploads
 * the lingering connections were read at full speed, each body through
 * Node's HTTP parser and copied into the JS heap, and that was most of what
 * held up every other client (docs/benchmarks.md, session 19: bench:abuse
 * case 4's other clients' p99 from about 1.5 s to 0.3 s). Such a client
 * learns what a 503 would have told it, to come back later, from a reset.
 * Returns the count of lingering connections, now and at most (for tests).
 */
export function lingerOnClose(server: Server, lingerMs = LINGER_MS, maxLingering = LINGER_MAX_CONNECTIONS): LingerCount {
  const count: LingerCount = { lingering: 0, peak: 0 };
  const lastAnswer = new WeakMap<Socket, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => lastAnswer.set(req.socket, res));
  server.on('connection', (socket: Socket) => {
    // Node's HTTP server closes a `Connection: close` response's socket with destroySoon (end, then destroy).
    const closeAtOnce = socket.destroySoon.bind(socket);
    socket.destroySoon = function lingeringClose(this: Socket): void {
      if (count.lingering >= maxLingering || !this.readable || lastAnswer.get(this)?.statusCode === 503) {
        closeAtOnce();
        return;
      }
      count.lingering += 1;
      count.peak = Math.max(count.peak, count.lingering);
      this.once('close', () => (count.lingering -= 1));
      if (this.writable) this.end();
      const stop = () => this.destroy();
      this.once('end', stop);
      setTimeout(stop, lingerMs).unref();
      this.resume();
    };
  });
  return count;
}
