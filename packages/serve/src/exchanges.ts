import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A request and its response on one connection. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

const lookups = new WeakMap<Server, (socket: Socket) => Exchange | undefined>();

/**
 * The exchange each connection of `server` is on, or was on last: one
 * 'request' listener per server, whichever modules ask (the connection guard
 * and the lingering close), so each request is recorded once.
 */
export function trackExchanges(server: Server): (socket: Socket) => Exchange | undefined {
  let lookup = lookups.get(server);
  if (!lookup) {
    const current = new WeakMap<Socket, Exchange>();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => current.set(req.socket, { req, res }));
    lookup = (socket) => current.get(socket);
    lookups.set(server, lookup);
  }
  return lookup;
}
