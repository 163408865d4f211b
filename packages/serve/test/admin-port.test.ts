/**
 * --admin-port: the probes and /metrics on a listening socket of their own,
 * with the main port's answers, headers and errors; nothing else there.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('serves /metrics, counting its own answers', async () => {
    await fetch(`${admin}/healthz`);
    const res = await fetch(`${admin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^fmnist_http_requests_total\{route="\/healthz",method="GET",status="200"\} [1-9]/m);
  });

  it('serves nothing else: 404 for the API, 405 with Allow for a wrong method, as JSON', async () => {
    const classify = await fetch(`${admin}/classify`, { method: 'POST', body: new Uint8Array(10) });
    expect(classify.status).toBe(404);
    expect(((await classify.json()) as Json).error.code).toBe('not_found');
    const models = await fetch(`${admin}/models`);
    expect(models.status).toBe(404);
    await models.body?.cancel();
    const post = await fetch(`${admin}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as Json).error.code).toBe('method_not_allowed');
  });

  it('/readyz there says 503 while new work would be shed; /healthz stays 200', async () => {
    const queue = server.ctx.decodeQueue;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const jobs: Promise<unknown>[] = [];
    while (!queue.full) jobs.push(queue.run(1, undefined, () => gate));
    const res = await fetch(`${admin}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as Json).error.message).toMatch(/decode queue full/);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    open();
    await Promise.all(jobs);
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
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

  it('close() stops the admin listener too', async () => {
    const other = await startTestServer({ modelsDir: fixture.dir, adminPort: 0 });
    const url = other.adminUrl!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await other.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
