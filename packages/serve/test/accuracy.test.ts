import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { argmaxRows, bytesToInput, IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';
import { resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir, testPhotoDir } from '@fmnist/core/testing';
import type { RunningServer } from '../src/server.ts';
import { imageBytes, loadTestSplit, pngOf, startTestServer, type Json } from './helpers.ts';

const dataDir = testDataDir();
// FMNIST_MODELS_DIR points the tests at other exported models (the server's own variable).
const realModels = resolveModelsDir();
// The shipped CNN: missing, these tests fail rather than fall back to a fixture.
const modelFile = join(requireModelFiles(realModels, ['cnn.onnx']), 'cnn.onnx');
const PHOTOS = testPhotoDir('samples');

/** Runs `fn` over items with at most `limit` in flight: a client, not a flood. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

describe.skipIf(!dataDir)('real test-set images encoded as PNG, over HTTP', () => {
  let server: RunningServer;
  let split: Split;

  beforeAll(async () => {
    split = (await loadTestSplit(dataDir))!;
    server = await startTestServer({ modelsDir: realModels, dataDir: dataDir! });
  });
  afterAll(async () => server?.close());

  it("give the offline model's top-1 answer for every image (1,000 images)", async () => {
    const indices = Array.from({ length: 1000 }, (_, i) => i * 10);
    const predicted = await pool(indices, 16, async (index) => {
      const body = await pngOf(imageBytes(split, index));
      const send = () => fetch(`${server.url}/classify?model=cnn&topk=1`, { method: 'POST', body, headers: { 'content-type': 'image/png' } });
      // A kept-alive socket the server closed as idle just as the client reused it (timers run late on a loaded
      // machine) fails before any answer: retry once on a fresh socket, as HTTP clients do for idempotent requests.
      const res = await send().catch((err: unknown) => {
        const code = ((err as Error).cause as { code?: string } | undefined)?.code;
        if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return send();
        throw err;
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as Json).predictions[0].index as number;
    });
    const httpAccuracy = predicted.filter((p, i) => p === split.labels[indices[i]!]).length / indices.length;

    const images = new Uint8Array(indices.length * IMAGE_PIXELS);
    indices.forEach((index, i) => images.set(imageBytes(split, index), i * IMAGE_PIXELS));
    const session = await ort.InferenceSession.create(modelFile, { executionProviders: ['cpu'] });
    const out = await session.run({ input: new ort.Tensor('float32', bytesToInput(images), [indices.length, 1, 28, 28]) });
    await session.release();
    const offline = argmaxRows(out.logits!.data as Float32Array, NUM_CLASSES);
    const offlineAccuracy = Array.from(offline).filter((p, i) => p === split.labels[indices[i]!]).length / indices.length;

    console.log(`cnn on 1,000 test images: HTTP (PNG) ${(httpAccuracy * 100).toFixed(1)}%, offline ${(offlineAccuracy * 100).toFixed(1)}%`);
    // A 28x28 PNG passes through untouched: the same input, so the same answer on every image, not merely a close accuracy.
    const differing = indices.filter((_index, i) => predicted[i] !== offline[i]);
    expect(differing, 'test images whose HTTP top-1 differs from the offline model').toEqual([]);
    expect(httpAccuracy).toBe(offlineAccuracy);
  });
});

describe.skipIf(!PHOTOS)('the exported CNN on 42 real sample photos', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ modelsDir: realModels });
  });
  afterAll(async () => server?.close());

  it('gets a fair share right after preprocessing', async () => {
    const labels = JSON.parse(await readFile(join(PHOTOS!, 'labels.json'), 'utf8')) as { file: string; accept: number[] }[];
    const results = await pool(labels, 4, async ({ file, accept }) => {
      const res = await fetch(`${server.url}/classify?model=cnn&topk=1`, {
        method: 'POST',
        body: await readFile(join(PHOTOS!, file)),
        headers: { 'content-type': 'image/jpeg' },
      });
      const top = ((await res.json()) as Json).predictions[0];
      return { file, ok: accept.includes(top.index), got: top.name as string };
    });
    const right = results.filter((r) => r.ok).length;
    console.log(
      `cnn on ${labels.length} sample photos: ${right} right; wrong: ${results
        .filter((r) => !r.ok)
        .map((r) => `${r.file}->${r.got}`)
        .join(', ')}`,
    );
    // Chance with the accept lists is about 1 in 7; the floor catches a preprocessing regression (e.g. everything read as Bag).
    expect(right).toBeGreaterThanOrEqual(17);
  });
});
