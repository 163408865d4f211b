import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../src/server.ts';
import { fixtureModelsDir, startTestServer } from './helpers.ts';

describe('web demo static files', () => {
  let server: RunningServer;
  let site: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const fx = await fixtureModelsDir();
    cleanup = fx.cleanup;
    site = await mkdtemp(join(tmpdir(), 'fmnist-site-'));
    await writeFile(join(site, 'index.html'), '<!doctype html><title>demo</title>');
    await writeFile(join(site, 'app.js'), 'console.log(1)');
    server = await startTestServer({ modelsDir: fx.dir, staticDir: site });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
    await rm(site, { recursive: true, force: true });
  });

  it('serves the build at / with cross-origin isolation headers, and the API beside it', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>demo</title>');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const js = await fetch(`${server.url}/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const missing = await fetch(`${server.url}/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
