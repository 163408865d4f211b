import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openRequest, readUntilClose } from '../test/raw-http.ts';
import { lingerOnClose, type LingerCount } from './linger.ts';

/** A server that refuses every request from its head alone, as the body limit does (413; `status` 503: as load shedding does), and closes the connection. */
async function refusingServer(lingerMs: number, maxLingering: number, status = 413, maxShed?: number): Promise<{ url: string; count: LingerCount }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(status === 503 ? '{"error":{"code":"queue_full"}}' : '{"error":{"code":"payload_too_large"}}');
  });
  const count = lingerOnClose(server, lingerMs, maxLingering, maxShed);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  current = server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count };
}

const MB = 1024 * 1024;
const opened: Socket[] = [];
let current: Server | undefined;
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await new Promise((r) => current?.close(r) ?? r(undefined));
  current = undefined;
});

/**
 * `n` clients that each send 4 MB of a 20 MB body and stall without reading: a lingering connection waits
 * for its client or its linger time (5 s here). Returns the clients whose connection the server closed, once
 * `expectClosed` have closed (or 3.5 s have passed, well inside the linger time) and 0.5 s more for any
 * further close to show: on a loaded CI machine a fixed 1.5 s missed a close that came later.
 */
async function stalledUploads(url: string, n: number, expectClosed: number): Promise<Set<Socket>> {
  const clients = await Promise.all(
    Array.from({ length: n }, () => openRequest(url, `POST /upload HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${20 * MB}`)),
  );
  opened.push(...clients);
  const closed = new Set<Socket>();
  for (const c of clients) {
    c.on('error', () => {});
    c.on('close', () => closed.add(c));
    c.write(Buffer.alloc(4 * MB, 0x41));
  }
  const deadline = Date.now() + 3500;
  while (closed.size < expectClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  return closed;
}

describe('lingerOnClose', () => {
  it('lets at most maxLingering refused connections linger; the rest close at once', async () => {
    const { url, count } = await refusingServer(5000, 2);
    const closed = await stalledUploads(url, 5, 3);
    expect(count.peak).toBe(2);
    expect(count.lingering).toBe(2);
    expect(closed.size).toBe(3);
  });

  it('drains a lone refused client that reads late, so it reads the refusal instead of a reset', async () => {
    const { url, count } = await refusingServer(2000, 16);
    const socket = await openRequest(url, `POST /upload HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${3 * MB}`);
    opened.push(socket);
    socket.pause();
    socket.write(Buffer.alloc(3 * MB, 0x41));
    await new Promise((r) => setTimeout(r, 500));
    let reset = false;
    socket.on('error', () => (reset = true));
    socket.resume();
    const answer = await readUntilClose(socket, 5000);
    expect(answer.status).toBe(413);
    expect(reset).toBe(false);
    expect(count.peak).toBe(1);
    expect(count.lingering).toBe(0);
  });

  it('lets at most maxShed connections refused with a 503 (load shed) linger; the rest close at once', async () => {
    const { url, count } = await refusingServer(5000, 16, 503, 1);
    const closed = await stalledUploads(url, 3, 2);
    // Three 413s would all linger under the same cap of 16: a shed connection's drain is the work being shed.
    expect(count.peak).toBe(1);
    expect(count.lingering).toBe(1);
    expect(closed.size).toBe(2);
  });
});
