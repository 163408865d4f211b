import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { argmaxRows, bytesToInput, classificationMetrics, encodeIdx, IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';
import { testDataDir } from '@fmnist/core/testing';
import type { RunningServer } from '../src/server.ts';
import { fixtureModelsDir, form, imageBytes, loadTestSplit, startTestServer, type Json } from './helpers.ts';

const dataDir = testDataDir();

/** The reference: the same ONNX file run directly with onnxruntime, no server in between. */
async function offlineEvaluate(modelFile: string, split: Split) {
  const session = await ort.InferenceSession.create(modelFile, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', bytesToInput(split.images), [split.count, 1, 28, 28]) });
    return classificationMetrics(split.labels, argmaxRows(out.logits!.data as Float32Array, NUM_CLASSES));
  } finally {
    await session.release();
  }
}

function subset(split: Split, n: number): Split {
  return { count: n, images: split.images.slice(0, n * IMAGE_PIXELS), labels: split.labels.slice(0, n) };
}

describe('POST /evaluate without data', () => {
  it('answers 409 with how to get the data', async () => {
    const fx = await fixtureModelsDir();
    const server = await startTestServer({ modelsDir: fx.dir, dataDir: '/nonexistent/fashion-mnist' });
    try {
      const res = await fetch(`${server.url}/evaluate`, { method: 'POST' });
      expect(res.status).toBe(409);
      const body = (await res.json()) as Json;
      expect(body.error.code).toBe('no_data');
      expect(body.error.message).toMatch(/pnpm data:download/);
      expect(body.error.message).toMatch(/--data-dir|FMNIST_DIR/);
      const half = await fetch(`${server.url}/evaluate`, { method: 'POST', body: form({ labels: encodeIdx([1], new Uint8Array([1])) }) });
      expect(((await half.json()) as Json).error.code).toBe('bad_dataset');
    } finally {
      await server.close();
      await fx.cleanup();
    }
  });
});

describe.skipIf(!dataDir)('POST /evaluate on the real test set', () => {
  let server: RunningServer;
  let split: Split;
  let modelsDir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    split = (await loadTestSplit(dataDir))!;
    const fx = await fixtureModelsDir(split);
    modelsDir = fx.dir;
    cleanup = fx.cleanup;
    server = await startTestServer({ modelsDir, dataDir: dataDir! });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('equals an offline evaluation of the same model (accuracy, per-class figures, confusion matrix)', async () => {
    const res = await fetch(`${server.url}/evaluate?model=cnn`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    const offline = await offlineEvaluate(join(modelsDir, 'cnn.onnx'), split);
    expect(body.count).toBe(10_000);
    expect(body.source).toBe('test-set');
    expect(body.confusion).toEqual(offline.confusion);
    expect(body.accuracy).toBe(offline.accuracy);
    expect(body.macro).toEqual(offline.macro);
    expect(body.perClass).toEqual(offline.perClass);
    expect(body.imagesPerSecond).toBeGreaterThan(0);
  });

  it('streams progress events, then the result', async () => {
    const res = await fetch(`${server.url}/evaluate?model=mlp`, { method: 'POST', headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) as Json }));
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)!.data).toEqual({ done: 10_000, total: 10_000 });
    const result = events.find((e) => e.event === 'result')!.data;
    const offline = await offlineEvaluate(join(modelsDir, 'mlp.onnx'), split);
    expect(result.model.name).toBe('mlp');
    expect(result.confusion).toEqual(offline.confusion);
  });

  it('evaluates an uploaded IDX pair (gzip or raw)', async () => {
    const small = subset(split, 500);
    const { gzipSync } = await import('node:zlib');
    const res = await fetch(`${server.url}/evaluate`, {
      method: 'POST',
      body: form(
        { images: gzipSync(encodeIdx([500, 28, 28], small.images)), labels: encodeIdx([500], small.labels) },
        { model: 'cnn' },
        'application/octet-stream',
      ),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.source).toBe('upload');
    expect(body.count).toBe(500);
    expect(body.confusion).toEqual((await offlineEvaluate(join(modelsDir, 'cnn.onnx'), small)).confusion);
  });

  it('GET /samples returns labelled test images as PNG data URLs, repeatable by seed', async () => {
    const a = (await (await fetch(`${server.url}/samples?n=5&seed=7`)).json()) as Json;
    const b = (await (await fetch(`${server.url}/samples?n=5&seed=7`)).json()) as Json;
    expect(a).toEqual(b);
    expect(a.samples).toHaveLength(5);
    for (const s of a.samples) {
      expect(s.label).toBe(split.labels[s.index]);
      const png = Buffer.from(s.image.replace('data:image/png;base64,', ''), 'base64');
      const px = await sharp(png).extractChannel(0).raw().toBuffer();
      expect(new Uint8Array(px)).toEqual(new Uint8Array(imageBytes(split, s.index)));
    }
  });
});
