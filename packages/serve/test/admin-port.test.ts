/**
 * --admin-port: the probes and /metrics on a listening socket of their own,
 * in a thread of their own, with the main port's answers, headers and
 * errors; nothing else there. Liveness there is the event loop's heartbeat.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_MS } from '../src/admin-listener.ts';
import { CONTENT_SECURITY_POLICY_VALUE } from '../src/security-headers.ts';
import type { RunningServer } from '../src/server.ts';
import { fixtureModelsDir, startTestServer, type Json } from './helpers.ts';

let server: RunningServer;
let admin: string;
let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;
beforeAll(async () => {
  fixture = await fixtureModelsDir();
  server = await startTestServer({ modelsDir: fixture.dir, adminPort: 0 });
  admin = server.adminUrl!;
});
afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

/**
 * GETs `url` every heartbeat until it answers `status`, for at most 2 s (80 heartbeats): the admin thread sees
 * the event loop's state as of its last heartbeat, which a loaded machine may delay by a few. Returns the last answer.
 */
async function answerWithin(url: string, status: number): Promise<Response> {
  const deadline = Date.now() + 80 * HEARTBEAT_MS;
  for (;;) {
    const res = await fetch(url);
    if (res.status === status || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
  }
}

/** A port that was free a moment ago, and a socket holding another one. */
async function listening(): Promise<Server> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

describe('the admin port', () => {
  it('is another port than the main one, and answers the probes as the main port does', async () => {
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin).not.toBe(server.url);
    const health = await fetch(`${admin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_VALUE);
    const ready = (await (await fetch(`${admin}/readyz`)).json()) as Json;
    const mainReady = (await (await fetch(`${server.url}/readyz`)).json()) as Json;
    expect(ready).toEqual(mainReady);
    expect(ready.models.map((m: Json) => m.name)).toContain('mlp');
  });

  it('serves /metrics, as the main port does', async () => {
    await fetch(`${server.url}/healthz`);
    const res = await fetch(`${admin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toMatch(/^fmnist_http_requests_total\{route="\/healthz",method="GET",status="200"\} [1-9]/m);
  });

  it('serves nothing else: 404 for the API, 405 with Allow for a wrong method, as JSON', async () => {
    const classify = await fetch(`${admin}/classify`, { method: 'POST', body: new Uint8Array(10) });
    expect(classify.status).toBe(404);
    expect(((await classify.json()) as Json).error.code).toBe('not_found');
    const models = await fetch(`${admin}/models`);
    expect(models.status).toBe(404);
    await models.body?.cancel();
    const head = await fetch(`${admin}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await fetch(`${admin}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as Json).error.code).toBe('method_not_allowed');
  });

  it('/readyz there says 503 while new work would be shed, one heartbeat later; /healthz stays 200', async () => {
    const queue = server.ctx.decodeQueue;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const jobs: Promise<unknown>[] = [];
    while (!queue.full) jobs.push(queue.run(1, undefined, () => gate));
    // The admin thread serves the readiness the event loop last published: a heartbeat old, or a few on a loaded machine.
    const res = await answerWithin(`${admin}/readyz`, 503);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as Json).error.message).toMatch(/decode queue full/);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    open();
    await Promise.all(jobs);
    expect((await answerWithin(`${admin}/readyz`, 200)).status).toBe(200);
  });
});

/**
 * GETs `url` from another thread after `delayMs`, while this thread is blocked (as a flood's long turns
 * block the event loop): resolves with the answer, or 'no answer' if none came while this thread was blocked.
 */
function fetchWhileBlocked(url: string, delayMs: number): { status: number; body: string } | 'no answer' {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const result = new SharedArrayBuffer(4096);
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(async () => {
       const res = await fetch(workerData.url);
       const text = new TextEncoder().encode(JSON.stringify({ status: res.status, body: await res.text() }));
       new Uint8Array(workerData.result).set(text.subarray(0, 4000));
       Atomics.store(workerData.flag, 0, text.length);
       Atomics.notify(workerData.flag, 0);
     }, workerData.delayMs);`,
    { eval: true, workerData: { url, delayMs, flag, result } },
  );
  // Blocks this thread, event loop and all, until the other thread has its answer (or 10 s pass).
  const woke = Atomics.wait(flag, 0, 0, 10_000);
  void worker.terminate();
  if (woke === 'timed-out') return 'no answer';
  return JSON.parse(new TextDecoder().decode(new Uint8Array(result, 0, Atomics.load(flag, 0)))) as { status: number; body: string };
}

describe("liveness on the admin port: the event loop's heartbeat", () => {
  it('answers while the event loop is blocked, 200 within the allowed stall', () => {
    const answer = fetchWhileBlocked(`${admin}/healthz`, 300);
    expect(answer).not.toBe('no answer');
    expect(answer).toMatchObject({ status: 200, body: '{"status":"ok"}' });
  });

  it('says 503 event_loop_stalled on /healthz and /readyz once the loop has stalled longer, and 200 again after', async () => {
    const stalling = await startTestServer({ modelsDir: fixture.dir, adminPort: 0, adminStallMs: 200 });
    try {
      for (const path of ['/healthz', '/readyz']) {
        const answer = fetchWhileBlocked(`${stalling.adminUrl}${path}`, 600);
        if (answer === 'no answer') throw new Error(`no answer from ${path} while the event loop was blocked`);
        expect(answer.status).toBe(503);
        expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'event_loop_stalled', message: expect.stringMatching(/has not turned for \d+ ms/) } });
        // Once the loop turns again, its heartbeat does too.
        expect((await answerWithin(`${stalling.adminUrl}${path}`, 200)).status).toBe(200);
      }
    } finally {
      await stalling.close();
    }
  });
});

describe('starting and stopping with an admin port', () => {
  it('a taken admin port fails the start with EADDRINUSE and leaves the main port free', async () => {
    const taken = await listening();
    const probe = await listening();
    const mainPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    try {
      const start = startTestServer({ modelsDir: fixture.dir, port: mainPort, adminPort: (taken.address() as AddressInfo).port });
      await expect(start).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // The main listener was closed again: its port can be bound.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(mainPort, '127.0.0.1', resolve);
      });
      await new Promise((r) => again.close(r));
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('shutting down: /readyz there says 503 shutting_down at once; close() stops the admin thread', async () => {
    const other = await startTestServer({ modelsDir: fixture.dir, adminPort: 0 });
    const url = other.adminUrl!;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // A request in flight holds the shutdown open while /readyz is asked.
    other.ctx.state.inFlight++;
    const closing = other.close(2000);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as Json).error.code).toBe('shutting_down');
    other.ctx.state.inFlight--;
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
