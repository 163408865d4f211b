import { join } from 'node:path';
import { testPhotoDir } from '@fmnist/core/testing';
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { CLASS_NAMES, IMAGE_PIXELS } from '@fmnist/core';
import { form, pngOf, useFixtureServer } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read by path in assertions, where a wrong path fails the assertion
type Classified = any;

const server = useFixtureServer();

/** A synthetic Fashion-MNIST-like image: a bright block on black. */
function block(seed: number): Uint8Array {
  const px = new Uint8Array(IMAGE_PIXELS);
  for (let y = 4 + (seed % 5); y < 24; y++) for (let x = 6; x < 22 - (seed % 7); x++) px[y * 28 + x] = 120 + ((x * y + seed) % 130);
  return px;
}

describe('POST /classify', () => {
  it('answers a multipart PNG with top-k predictions, model version and timings', async () => {
    const res = await fetch(`${server().url}/classify?topk=4`, { method: 'POST', body: form({ image: await pngOf(block(1)) }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Classified as {
      model: { name: string; version: string; provider: string };
      predictions: { index: number; name: string; probability: number }[];
      timings: Record<string, number>;
    };
    expect(body.model.name).toBe('cnn');
    expect(body.model.version).toMatch(/^[0-9a-f]{12}$/);
    expect(body.model.provider).toBe('cpu');
    expect(body.predictions).toHaveLength(4);
    for (const p of body.predictions) expect(p.name).toBe(CLASS_NAMES[p.index]);
    const probs = body.predictions.map((p) => p.probability);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    expect(Object.keys(body.timings).sort()).toEqual(['decodeMs', 'inferenceMs', 'preprocessMs']);
  });

  it('gives the same answer for a raw body, and passes a Fashion-MNIST-like image through unchanged', async () => {
    const png = await pngOf(block(2));
    const viaForm = (await (await fetch(`${server().url}/classify?input=1`, { method: 'POST', body: form({ image: png }) })).json()) as Classified;
    const raw = (await (
      await fetch(`${server().url}/classify?input=1`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } })
    ).json()) as Classified;
    expect(raw.predictions).toEqual(viaForm.predictions);
    expect(raw.preprocessing.passthrough).toBe(true);
    // The echoed input is exactly the uploaded pixels.
    const echoed = Buffer.from((raw.input as string).replace('data:image/png;base64,', ''), 'base64');
    const { default: sharp } = await import('sharp');
    const back = await sharp(echoed).extractChannel(0).raw().toBuffer();
    expect(new Uint8Array(back)).toEqual(block(2));
  });

  it('uses model and topk from form fields, and different models give different answers', async () => {
    const png = await pngOf(block(3));
    const cnn = (await (
      await fetch(`${server().url}/classify`, { method: 'POST', body: form({ image: png }, { model: 'cnn', topk: '10' }) })
    ).json()) as Classified;
    const mlp = (await (
      await fetch(`${server().url}/classify`, { method: 'POST', body: form({ image: png }, { model: 'mlp', topk: '10' }) })
    ).json()) as Classified;
    expect(mlp.model.name).toBe('mlp');
    expect(cnn.predictions).toHaveLength(10);
    const sum = (cnn.predictions as { probability: number }[]).reduce((s, p) => s + p.probability, 0);
    expect(sum).toBeCloseTo(1, 4);
    expect(mlp.predictions).not.toEqual(cnn.predictions);
  });

  const photos = testPhotoDir('samples');
  it.skipIf(!photos)('classifies a real colour photo (JPEG) through the photo pipeline', async () => {
    const jpeg = await readFile(join(photos!, 'shirt_01.jpg'));
    const res = await fetch(`${server().url}/classify?input=1`, { method: 'POST', body: jpeg, headers: { 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Classified;
    expect(body.preprocessing.passthrough).toBe(false);
    expect(body.input).toMatch(/^data:image\/png;base64,/);
  });
});

describe('POST /classify/batch', () => {
  it('answers several images in order, with per-image errors in place', async () => {
    const pngs = await Promise.all([1, 2, 3].map((s) => pngOf(block(s))));
    const singles = await Promise.all(
      pngs.map(
        async (png) =>
          ((await (await fetch(`${server().url}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } })).json()) as Classified)
            .predictions,
      ),
    );
    const res = await fetch(`${server().url}/classify/batch`, {
      method: 'POST',
      body: form({ image: [pngs[0]!, new Uint8Array([1, 2, 3]), pngs[1]!, pngs[2]!] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Classified as { results: { predictions?: unknown; error?: { code: string } }[] };
    expect(body.results).toHaveLength(4);
    expect(body.results[0]!.predictions).toEqual(singles[0]);
    expect(body.results[1]!.error?.code).toBe('unsupported_media_type');
    expect(body.results[2]!.predictions).toEqual(singles[1]);
    expect(body.results[3]!.predictions).toEqual(singles[2]);
  });
});

describe('health, models, docs, metrics', () => {
  it('reports liveness, readiness and the provider of each model', async () => {
    expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
    const ready = (await (await fetch(`${server().url}/readyz`)).json()) as Classified;
    expect(ready.models).toEqual([
      { name: 'cnn', provider: 'cpu' },
      { name: 'mlp', provider: 'cpu' },
    ]);
    const models = (await (await fetch(`${server().url}/models`)).json()) as Classified;
    expect(models.default).toBe('cnn');
    const cnn = models.models.find((m: { name: string }) => m.name === 'cnn');
    expect(cnn.metadata.exporter_version).toBe('fixture');
    expect(cnn.classNames).toEqual([...CLASS_NAMES]);
    expect(cnn.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('serves an OpenAPI document listing the endpoints, and a docs page', async () => {
    const doc = (await (await fetch(`${server().url}/openapi.json`)).json()) as Classified;
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/classify', '/classify/batch', '/evaluate', '/v2/models/{name}/infer', '/metrics']) expect(doc.paths).toHaveProperty([p]);
    const page = await fetch(`${server().url}/docs`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/classify/batch');
  });

  it('exposes Prometheus metrics for requests, latency, batches and errors', async () => {
    await fetch(`${server().url}/classify?model=nope`, { method: 'POST', body: await pngOf(block(1)), headers: { 'content-type': 'image/png' } });
    const text = await (await fetch(`${server().url}/metrics`)).text();
    expect(text).toMatch(/fmnist_http_requests_total\{route="\/classify",method="POST",status="200"\} \d+/);
    expect(text).toContain('fmnist_http_request_duration_seconds_bucket');
    expect(text).toMatch(/fmnist_batch_size_count\{model="cnn"\} [1-9]/);
    expect(text).toMatch(/fmnist_errors_total\{code="unknown_model"\} [1-9]/);
    expect(text).toContain('fmnist_queue_depth');
  });

  it('GET /samples without data says how to get it', async () => {
    const res = await fetch(`${server().url}/samples?n=3`);
    expect(res.status).toBe(409);
    expect(((await res.json()) as Classified).error.message).toContain('data:download');
  });
});
