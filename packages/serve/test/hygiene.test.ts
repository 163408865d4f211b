/**
 * Issue 12's cases 9 (non-finite v2 tensors) and 10 (security headers on
 * every response, 405 with Allow), the v2 JSON body limit, and /readyz
 * under overload. The Range case of 10 belongs to the static route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_PIXELS } from '@fmnist/core';
import { CONTENT_SECURITY_POLICY_VALUE } from '../src/security-headers.ts';
import type { RunningServer } from '../src/server.ts';
import { fixtureModelsDir, pngOf, startTestServer, type Json } from './helpers.ts';

let server: RunningServer;
let site: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const fx = await fixtureModelsDir();
  cleanup = fx.cleanup;
  site = await mkdtemp(join(tmpdir(), 'fmnist-site-'));
  await writeFile(join(site, 'index.html'), '<!doctype html><title>demo</title>');
  server = await startTestServer({ modelsDir: fx.dir, staticDir: site, limits: { maxJsonBytes: 1024 * 1024 } });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
  await rm(site, { recursive: true, force: true });
});

const infer = (data: unknown, n = 1) =>
  fetch(`${server.url}/v2/models/mlp/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 1, 28, 28], data }] }),
  });

describe('issue 12: v2 tensors, headers and methods', () => {
  it('case 9: v2 inputs that are not finite as FP32 are 400; outputs that overflow are 422, never null', async () => {
    const huge = new Array(IMAGE_PIXELS).fill(0);
    huge[3] = 1e39;
    const res = await infer(huge);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/finite as FP32/);
    // Finite FP32 inputs (3e38) whose logits overflow the fixture model's float32 sums.
    const overflow = await infer(new Array(IMAGE_PIXELS).fill(3e38));
    const body = (await overflow.json()) as Json;
    expect(overflow.status, JSON.stringify(body).slice(0, 200)).toBe(422);
    expect(body.error).toMatch(/non-finite outputs/);
    expect((await infer(new Array(IMAGE_PIXELS).fill(0.5))).status).toBe(200);
  });

  it('a v2 JSON body over --max-json-mb is refused (413) before it is parsed', async () => {
    const big = await infer(new Array(IMAGE_PIXELS * 200).fill(0.123456789), 200);
    expect(big.status).toBe(413);
    expect(((await big.json()) as Json).error).toMatch(/over the \d+ byte limit/);
  });

  it('case 10: nosniff and a Content-Security-Policy on every response; COOP/COEP kept on the demo', async () => {
    const png = await pngOf(new Uint8Array(IMAGE_PIXELS));
    const responses = [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/`),
      await fetch(`${server.url}/docs`),
      await fetch(`${server.url}/nope.js`),
      await fetch(`${server.url}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } }),
      await fetch(`${server.url}/classify`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }),
      await fetch(`${server.url}/classify`),
    ];
    for (const res of responses) {
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
      expect(csp).toMatch(/worker-src 'self' blob:/);
      expect(csp).toMatch(/connect-src 'self' data: blob:/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      // Set on Node's response, not by hono's middleware: the same policy, once (not duplicated by a merge).
      expect(csp).toBe(CONTENT_SECURITY_POLICY_VALUE);
    }
    expect(responses[1]!.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(responses[1]!.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('case 10: a wrong method is 405 with Allow, not 404', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/classify', 'POST'],
      ['PUT', '/classify/batch', 'POST'],
      ['DELETE', '/healthz', 'GET, HEAD'],
      ['POST', '/v2/models/cnn', 'GET, HEAD'],
      ['GET', '/v2/models/cnn/infer', 'POST'],
      ['GET', '/evaluate', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const error = ((await res.json()) as Json).error;
      // The Open Inference Protocol's error object on /v2 paths, this server's elsewhere.
      if (path.startsWith('/v2/')) expect(error).toMatch(/is not allowed on/);
      else expect(error.code).toBe('method_not_allowed');
    }
    expect((await fetch(`${server.url}/no/such/thing`, { method: 'POST' })).status).toBe(404);
  });

  it('/readyz says 503 while new work would be shed, and ready again after', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const queue = server.ctx.decodeQueue;
    // Fill the decode queue with jobs that wait on a gate (as slow decodes would).
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const jobs: Promise<unknown>[] = [];
    while (!queue.full) jobs.push(queue.run(1, undefined, () => gate));
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Json;
    expect(body.error.code).toBe('overloaded');
    expect(body.error.message).toMatch(/decode queue full/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    open();
    await Promise.all(jobs);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // As many photo uploads being read as the queue can take: new ones would be shed too.
    const admission = server.ctx.photoAdmission;
    const places = Array.from({ length: admission.capacity }, () => admission.admit());
    const reading = await fetch(`${server.url}/readyz`);
    expect(reading.status).toBe(503);
    expect(((await reading.json()) as Json).error.message).toMatch(/photo uploads full/);
    for (const release of places) release();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
