import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { IMAGE_PIXELS } from '@fmnist/core';
import type { RunningServer } from '../src/server.ts';
import { fixtureModelsDir, form, pngOf, startTestServer, type Json } from './helpers.ts';

const REQUESTS = 2000;

let server: RunningServer;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const fx = await fixtureModelsDir();
  cleanup = fx.cleanup;
  server = await startTestServer({ modelsDir: fx.dir, limits: { maxBodyBytes: 512 * 1024, maxBatchImages: 8 }, decode: { maxPixels: 4_000_000 } });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

/** Seeded, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

function mutate(r: ReturnType<typeof rng>, src: Uint8Array): Uint8Array {
  const b = Uint8Array.from(src);
  switch (r.int(5)) {
    case 0: // flip bytes
      for (let i = 0, n = 1 + r.int(20); i < n; i++) b[r.int(b.length)] = r.int(256);
      return b;
    case 1: // truncate
      return b.subarray(0, r.int(b.length));
    case 2: // splice garbage into the middle
      return Uint8Array.from([...b.subarray(0, r.int(b.length)), ...Array.from({ length: r.int(200) }, () => r.int(256)), ...b.subarray(r.int(b.length))]);
    case 3: // keep the header, random rest
      return Uint8Array.from([...b.subarray(0, 40), ...Array.from({ length: r.int(2000) }, () => r.int(256))]);
    default: // header fields scrambled (dimensions live in the first bytes of PNG and JPEG)
      for (let i = 8; i < Math.min(40, b.length); i++) if (r.next() < 0.3) b[i] = r.int(256);
      return b;
  }
}

describe('fuzz', () => {
  it(`${REQUESTS} random and mutated requests: no 5xx, JSON errors, and the server still answers correctly`, async () => {
    const r = rng(20261128);
    const png = await pngOf(new Uint8Array(IMAGE_PIXELS).map((_, i) => (i % 28 > 7 && i % 28 < 21 ? 170 : 0)));
    const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#c8c0b0' } })
      .composite([
        {
          input: await sharp({ create: { width: 60, height: 80, channels: 3, background: '#802030' } })
            .png()
            .toBuffer(),
          left: 50,
          top: 20,
        },
      ])
      .jpeg()
      .toBuffer();
    const webp = await sharp(jpeg).webp().toBuffer();
    const seeds = [png, jpeg, webp];
    const before = (await (await fetch(`${server.url}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } })).json()) as Json;

    const topks = ['', '1', '3', '10', '0', '-1', 'x', '1e3', '%00', '9'.repeat(30)];
    const models = ['', 'cnn', 'mlp', 'nope', '../cnn', '%2e%2e', 'a'.repeat(300)];
    const types = [
      'image/png',
      'image/jpeg',
      'application/octet-stream',
      'text/plain',
      'application/json',
      'image/x-unknown',
      'multipart/form-data; boundary=zz',
      '',
    ];
    const statuses = new Map<number, number>();
    const bad: string[] = [];

    const one = async (i: number) => {
      const kind = r.int(6);
      const q = `?topk=${encodeURIComponent(r.pick(topks))}&model=${encodeURIComponent(r.pick(models))}`;
      let res: Response;
      if (kind <= 2) {
        const body = kind === 0 ? Uint8Array.from({ length: r.int(3000) }, () => r.int(256)) : mutate(r, r.pick(seeds));
        const type = r.pick(types);
        res = await fetch(`${server.url}${r.pick(['/classify', '/classify/batch'])}${q}`, {
          method: 'POST',
          body,
          headers: type ? { 'content-type': type } : {},
        });
      } else if (kind === 3) {
        const images = Array.from({ length: r.int(10) }, () => (r.next() < 0.5 ? mutate(r, r.pick(seeds)) : r.pick(seeds)));
        res = await fetch(`${server.url}${r.pick(['/classify', '/classify/batch'])}${q}`, {
          method: 'POST',
          body: form({ [r.pick(['image', 'images', 'file'])]: images }, r.next() < 0.5 ? { topk: r.pick(topks) } : {}),
        });
      } else if (kind === 4) {
        const n = r.pick([1, 2, 0, -1, 300]);
        const len = Math.max(0, n) * IMAGE_PIXELS + r.pick([0, 0, 1, -1]);
        const tensor: Json = {
          name: r.pick(['input', 'x']),
          datatype: r.pick(['FP32', 'FP32', 'INT8', 7]),
          shape: r.pick([[n, 1, 28, 28], [n, 784], 'x', [n, 1, 28, 28, 1]]),
          data: Array.from({ length: Math.max(0, Math.min(len, 300 * IMAGE_PIXELS)) }, () => r.next()),
        };
        if (r.next() < 0.2) tensor.data[r.int(tensor.data.length || 1)] = r.pick([null, 'a', {}, [1, [2]], Number.POSITIVE_INFINITY]);
        const text = JSON.stringify(r.next() < 0.8 ? { inputs: [tensor], outputs: r.next() < 0.2 ? [{ name: r.pick(['logits', 'zz']) }] : undefined } : tensor);
        const body = r.next() < 0.2 ? text.slice(0, r.int(text.length)) : text;
        res = await fetch(`${server.url}/v2/models/${r.pick(['cnn', 'mlp', 'zz'])}/infer`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
      } else {
        const path = r.pick([
          '/evaluate',
          `/samples?n=${r.pick(['0', '5', 'x', '1000'])}`,
          `/models/${r.pick(models)}`,
          `/v2/models/${r.pick(models)}`,
          '/nope',
          '/classify',
          '/metrics',
          '/readyz',
        ]);
        const method = r.pick(['GET', 'POST', 'PUT', 'DELETE']);
        const withBody = method !== 'GET' && r.next() < 0.5;
        res = await fetch(`${server.url}${path}`, { method, ...(withBody ? { body: Uint8Array.from({ length: r.int(500) }, () => r.int(256)) } : {}) });
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      if (res.status >= 500) bad.push(`#${i} ${res.status}: ${text.slice(0, 200)}`);
      if (res.status >= 400) {
        const body = JSON.parse(text) as Json;
        // /v2 paths answer the Open Inference Protocol's `{error: "<message>"}`; the rest `{error: {code, message}}`.
        const v2 = new URL(res.url).pathname.startsWith('/v2/');
        if (v2 ? typeof body.error !== 'string' : typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string')
          bad.push(`#${i} ${res.status} without a JSON error: ${text.slice(0, 100)}`);
        if (/\n\s+at /.test(text)) bad.push(`#${i} stack trace in response`);
      }
    };

    // Eight clients at a time on loopback: enough to interleave, bounded for a 2-core machine.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < REQUESTS) await one(next++);
      }),
    );
    console.log('fuzz statuses:', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
    expect(bad).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    // Client errors were exercised, and successes too.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3);

    const after = (await (await fetch(`${server.url}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } })).json()) as Json;
    expect(after.predictions).toEqual(before.predictions);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
