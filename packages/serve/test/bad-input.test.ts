import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { IMAGE_PIXELS } from '@fmnist/core';
import type { RunningServer } from '../src/server.ts';
import { pngClaiming } from './attacks.ts';
import { fixtureModelsDir, form, pngOf, startTestServer, type ErrorJson } from './helpers.ts';

let server: RunningServer;
let cleanup: () => Promise<void>;
const MAX_BODY = 256 * 1024;

beforeAll(async () => {
  const fx = await fixtureModelsDir();
  cleanup = fx.cleanup;
  server = await startTestServer({ modelsDir: fx.dir, limits: { maxBodyBytes: MAX_BODY, maxBatchImages: 4 }, decode: { maxPixels: 4_000_000 } });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

async function expectError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as ErrorJson;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  // Never a stack trace or a server path in a response.
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

/** A /v2 refusal: the Open Inference Protocol's `{error: "<message>"}`, no code. */
async function expectV2Error(res: Response, status: number, message: RegExp): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  expect(JSON.parse(text)).toEqual({ error: expect.stringMatching(message) });
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

const post = (path: string, body: RequestInit['body'], type?: string) =>
  fetch(`${server.url}${path}`, { method: 'POST', body, ...(type ? { headers: { 'content-type': type } } : {}) });

let goodPng: Buffer;
beforeAll(async () => {
  goodPng = await pngOf(new Uint8Array(IMAGE_PIXELS).fill(0).map((_, i) => (i % 28 > 8 && i % 28 < 20 ? 200 : 0)));
});

describe('bad input: every client mistake is a 4xx JSON error', () => {
  it('empty body', async () => {
    await expectError(await post('/classify', new Uint8Array(0), 'image/png'), 400, 'empty_body');
    await expectError(await post('/classify', undefined), 400, 'empty_body');
  });

  it('multipart without an image field, or with text in it', async () => {
    await expectError(await post('/classify', form({}, { model: 'cnn' })), 400, 'missing_image');
    await expectError(await post('/classify', form({}, { image: 'not a file' })), 400, 'missing_image');
  });

  it('malformed multipart', async () => {
    await expectError(await post('/classify', '--xyz\r\ngarbage', 'multipart/form-data; boundary=abc'), 400, 'bad_request');
  });

  it('body over the size limit: 413, with and without Content-Length', async () => {
    const big = new Uint8Array(MAX_BODY + 1000);
    await expectError(await post('/classify', big, 'image/png'), 413, 'payload_too_large');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(MAX_BODY / 4));
        c.close();
      },
    });
    const res = await fetch(`${server.url}/classify`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'image/png' },
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413, 'payload_too_large');
  });

  it('wrong content type, and bytes that are not an image: 415', async () => {
    await expectError(await post('/classify', 'hello', 'text/plain'), 415, 'unsupported_media_type');
    await expectError(await post('/classify', JSON.stringify({ a: 1 }), 'application/json'), 415, 'unsupported_media_type');
    await expectError(await post('/classify', new TextEncoder().encode('definitely not an image'), 'image/png'), 415, 'unsupported_media_type');
  });

  it('corrupt and truncated images: 422', async () => {
    const jpeg = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#884422' } })
      .jpeg()
      .toBuffer();
    await expectError(await post('/classify', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image/jpeg'), 422, 'corrupt_image');
    await expectError(await post('/classify', goodPng.subarray(0, goodPng.length - 30), 'image/png'), 422, 'corrupt_image');
    const flipped = Buffer.from(goodPng);
    for (let i = 40; i < flipped.length - 20; i += 7) flipped[i] = flipped[i]! ^ 0xff;
    await expectError(await post('/classify', flipped, 'image/png'), 422, 'corrupt_image');
  });

  it('huge pixel dimensions are refused from the header, before decoding', async () => {
    await expectError(await post('/classify', pngClaiming(100_000, 100_000), 'image/png'), 422, 'image_too_large');
    // A real, small file that decodes to 25 M pixels (over this server's 4 M limit).
    const bomb = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(MAX_BODY);
    await expectError(await post('/classify', bomb, 'image/png'), 422, 'image_too_large');
  });

  it('a zlib bomb inside a small PNG is not inflated in full', async () => {
    // 200 MB of zeros deflate to about 200 kB: a 28x28 header with that as its pixel data.
    const idat = deflateSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    expect(idat.length).toBeLessThan(MAX_BODY);
    // Too many bytes for the small-PNG path (decoded on the event loop): sharp streams the rows it needs
    // in an image thread and ignores the rest (a black image is a valid answer), interlaced or not.
    expect((await post('/classify', pngClaiming(28, 28, idat, 0), 'image/png')).status).toBeLessThan(500);
    expect((await post('/classify', pngClaiming(28, 28, idat, 1), 'image/png')).status).toBeLessThan(500);
    expect((await post('/classify', goodPng, 'image/png')).status).toBe(200);
  });

  it('unknown model: 404', async () => {
    await expectError(await post('/classify?model=resnet', goodPng, 'image/png'), 404, 'unknown_model');
    await expectV2Error(await fetch(`${server.url}/v2/models/resnet`), 404, /no model named 'resnet'/);
    await expectError(await fetch(`${server.url}/models/resnet`), 404, 'unknown_model');
  });

  it('bad topk: 400', async () => {
    for (const k of ['0', '11', 'abc', '1.5', '-1', '99999999999']) await expectError(await post(`/classify?topk=${k}`, goodPng, 'image/png'), 400, 'bad_topk');
  });

  it('too many images in one batch, or several on /classify: 400', async () => {
    await expectError(await post('/classify/batch', form({ image: Array(5).fill(goodPng) })), 400, 'too_many_images');
    await expectError(await post('/classify', form({ image: [goodPng, goodPng] })), 400, 'too_many_images');
  });

  it('v2 infer: wrong name, shape, datatype, data: 400', async () => {
    const ok = { name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data: new Array(IMAGE_PIXELS).fill(0) };
    const cases: unknown[] = [
      { inputs: [{ ...ok, name: 'x' }] },
      { inputs: [{ ...ok, datatype: 'INT64' }] },
      { inputs: [{ ...ok, shape: [1, 784] }] },
      { inputs: [{ ...ok, shape: [1, 3, 28, 28] }] },
      { inputs: [{ ...ok, shape: [0, 1, 28, 28], data: [] }] },
      { inputs: [{ ...ok, data: ok.data.slice(1) }] },
      { inputs: [{ ...ok, data: [...ok.data, 1] }] },
      { inputs: [{ ...ok, data: ok.data.map((_, i) => (i === 5 ? 'a' : 0)) }] },
      { inputs: [ok, ok] },
      { inputs: [] },
      { inputs: [ok], outputs: [{ name: 'nope' }] },
    ];
    for (const body of cases)
      await expectV2Error(await post('/v2/models/cnn/infer', JSON.stringify(body), 'application/json'), 400, /input|output|shape|datatype|batch|data/);
    await expectV2Error(await post('/v2/models/cnn/infer', '{"inputs": [', 'application/json'), 400, /JSON/);
    await expectV2Error(await post('/v2/models/cnn/infer', '[1,2]', 'application/json'), 400, /JSON object/);
  });

  it('unknown endpoint: 404 JSON', async () => {
    await expectError(await fetch(`${server.url}/nope`), 404, 'not_found');
  });

  it('still answers correctly afterwards', async () => {
    const res = await post('/classify', goodPng, 'image/png');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(3);
  });
});
