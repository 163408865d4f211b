/**
 * The admin port's server, in a thread of its own (admin-listener.ts starts
 * it). Its event loop does nothing else, so a probe is answered in
 * milliseconds however long the serving loop's turns are under a flood; what
 * it answers comes from that loop: /healthz from its heartbeat (503 once it
 * has not turned for maxStallMs), /readyz the answer it last published (or
 * 503 if it stalled), /metrics asked of it each time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from '../errors.ts';
import { SECURITY_HEADERS } from '../security-headers.ts';
import { type AdminThreadData, type Answer, errorAnswer, type FromAdmin, jsonAnswer, type ToAdmin } from './admin-protocol.ts';

const data = workerData as AdminThreadData;
const port = parentPort!;
const heartbeat = new BigInt64Array(data.heartbeat);
const send = (message: FromAdmin) => port.postMessage(message);

const ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
const METRICS_WAIT_MS = 10_000;

let readiness: Answer = errorAnswer(new HttpError('not_ready', 'models are still loading'));
const pendingMetrics = new Map<number, (answer: Answer) => void>();
let nextId = 0;

/** How long ago the serving loop last turned, if longer than allowed. */
function stalledFor(): number | undefined {
  const age = Date.now() - Number(Atomics.load(heartbeat, 0));
  return age > data.maxStallMs ? age : undefined;
}

function stalledAnswer(age: number): Answer {
  return errorAnswer(new HttpError('event_loop_stalled', `the server's event loop has not turned for ${age} ms`));
}

async function answerFor(path: string): Promise<Answer> {
  const stalled = stalledFor();
  if (path === '/healthz') return stalled === undefined ? jsonAnswer(200, { status: 'ok' }) : stalledAnswer(stalled);
  if (path === '/readyz') return stalled === undefined ? readiness : stalledAnswer(stalled);
  const id = nextId++;
  return new Promise<Answer>((resolve) => {
    const timer = setTimeout(() => {
      pendingMetrics.delete(id);
      resolve(
        errorAnswer(new HttpError('overloaded', `the server did not produce its metrics within ${METRICS_WAIT_MS} ms; retry shortly`, { 'Retry-After': '1' })),
      );
    }, METRICS_WAIT_MS);
    pendingMetrics.set(id, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    send({ type: 'metrics', id });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  let answer: Answer;
  if (!ROUTES.has(path)) answer = errorAnswer(new HttpError('not_found', 'no such endpoint on the admin port; it serves /healthz, /readyz and /metrics'));
  else if (req.method !== 'GET' && req.method !== 'HEAD')
    answer = errorAnswer(
      new HttpError('method_not_allowed', `${(req.method ?? '').slice(0, 20)} is not allowed on ${path}; use GET, HEAD`, { Allow: 'GET, HEAD' }),
    );
  else answer = await answerFor(path);
  // The request's body, if any, is not wanted: drop it rather than leave the connection unusable.
  req.resume();
  res.writeHead(answer.status, { ...SECURITY_HEADERS, ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

const server = createServer(
  {
    headersTimeout: data.headersTimeoutMs,
    requestTimeout: data.requestTimeoutMs,
    keepAliveTimeout: data.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1000,
  },
  (req, res) => void handle(req, res),
);
server.maxConnections = data.maxConnections;
server.setTimeout(data.idleTimeoutMs, (socket) => socket.destroy());

port.on('message', (message: ToAdmin) => {
  if (message.type === 'readiness') readiness = message.answer;
  else if (message.type === 'metrics') pendingMetrics.get(message.id)?.(message.answer);
  else if (message.type === 'close') {
    server.close(() => {
      send({ type: 'closed' });
      port.close();
    });
    server.closeAllConnections();
  }
});
server.once('error', (err: NodeJS.ErrnoException) => send({ type: 'listen-error', code: err.code ?? 'ERROR', message: err.message }));
server.listen(data.port, data.host, () => {
  const address = server.address();
  send({ type: 'listening', port: typeof address === 'object' && address ? address.port : data.port });
});
