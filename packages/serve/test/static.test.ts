import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { RunningServer } from '../src/server.ts';
import { CACHE_CONTROL } from '../src/routes/static.ts';
import { fixtureModelsDir, startTestServer } from './helpers.ts';

/** A raw GET (no automatic decompression, unlike fetch): status, headers and the bytes as sent. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('web demo static files', () => {
  let server: RunningServer;
  let site: string;
  let cleanup: () => Promise<void>;
  const js = 'console.log("a hashed asset");'.repeat(40);
  const html = '<!doctype html><title>demo</title>';
  beforeAll(async () => {
    const fx = await fixtureModelsDir();
    cleanup = fx.cleanup;
    site = await mkdtemp(join(tmpdir(), 'fmnist-site-'));
    await writeFile(join(site, 'index.html'), html);
    await writeFile(join(site, 'index.html.br'), brotliCompressSync(html));
    await writeFile(join(site, 'app.js'), 'console.log(1)');
    await mkdir(join(site, 'assets'));
    await writeFile(join(site, 'assets', 'main-AbC123.js'), js);
    await writeFile(join(site, 'assets', 'main-AbC123.js.br'), brotliCompressSync(js));
    await writeFile(join(site, 'assets', 'main-AbC123.js.gz'), gzipSync(js));
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

  it('sends the precompressed file the client accepts, with Content-Encoding and Vary', async () => {
    const url = `${server.url}/assets/main-AbC123.js`;
    const br = await rawGet(url, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(brotliDecompressSync(br.body).toString()).toBe(js);

    const gz = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(js);

    const plain = await rawGet(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(js);
    // Each encoding has its own validator, so a cache never mixes them up.
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
  });

  it('caches hashed assets for a year and has the HTML revalidated', async () => {
    const asset = await rawGet(`${server.url}/assets/main-AbC123.js`, { 'accept-encoding': 'br' });
    expect(asset.headers['cache-control']).toBe(CACHE_CONTROL.hashed);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const page = await rawGet(`${server.url}/`, { 'accept-encoding': 'br' });
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers.etag).toMatch(/^W\/".+"$/);
  });

  it('answers 304 with no body when the copy is still current', async () => {
    const first = await rawGet(`${server.url}/`, { 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    const again = await rawGet(`${server.url}/`, { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cross-origin-embedder-policy']).toBe('require-corp');
    // Another encoding is another representation: a full answer.
    const other = await rawGet(`${server.url}/`, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.body.toString()).toBe(html);
    const byDate = await rawGet(`${server.url}/`, { 'if-modified-since': String(first.headers['last-modified']) });
    expect(byDate.status).toBe(304);
    const stale = await rawGet(`${server.url}/`, { 'if-modified-since': new Date(0).toUTCString() });
    expect(stale.status).toBe(200);
  });

  it('serves one byte range, ignores a Range it cannot serve, and refuses an unsatisfiable one', async () => {
    const url = `${server.url}/app.js`;
    const part = await rawGet(url, { range: 'bytes=0-6' });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe('console');
    expect(part.headers['content-range']).toBe('bytes 0-6/14');
    for (const range of ['bytes=abc', 'abc', 'items=0-5', 'bytes=0-1,4-5', '0-5', 'bytes=-']) {
      const res = await rawGet(url, { range });
      expect(res.status, range).toBe(200);
      expect(res.body.toString(), range).toBe('console.log(1)');
      expect(res.headers['content-range'], range).toBeUndefined();
    }
    const beyond = await rawGet(url, { range: 'bytes=100-200' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */14');
  });
});
