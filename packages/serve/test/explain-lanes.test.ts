import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLAIN_DIR } from '@fmnist/core';
import type { RunningServer } from '../src/server.ts';
import { block, direct, expectServedMap, models } from './explain-fixture.ts';
import { form, pngOf, startTestServer, type Json } from './helpers.ts';

/**
 * An explanation graph with two lanes (two sessions, batches side by side):
 * the maps of concurrent requests are still each image's own.
 */
describe('explanation lanes', () => {
  let dir: string;
  let server: RunningServer;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fmnist-lanes-'));
    await mkdir(join(dir, EXPLAIN_DIR));
    await symlink(join(models, 'cnn.onnx'), join(dir, 'cnn.onnx'));
    await symlink(join(models, EXPLAIN_DIR, 'cnn.onnx'), join(dir, EXPLAIN_DIR, 'cnn.onnx'));
    session = await ort.InferenceSession.create(join(models, EXPLAIN_DIR, 'cnn.onnx'));
    server = await startTestServer({ modelsDir: dir, explainLanes: 2, batching: { maxBatch: 2, maxDelayMs: 0 } });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await session?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('/models says how many lanes; concurrent explanations each get their own image map', async () => {
    const listed: Json = await (await fetch(`${server.url}/models/cnn`)).json();
    expect(listed.explanation.lanes).toBe(2);
    const pngs = await Promise.all(Array.from({ length: 12 }, (_, i) => pngOf(block(i))));
    const answers = await Promise.all(
      pngs.map(async (png) => {
        const res = await fetch(`${server.url}/classify?model=cnn&explain=1`, { method: 'POST', body: form({ image: png }) });
        expect(res.status).toBe(200);
        return (await res.json()) as Json;
      }),
    );
    for (const [i, json] of answers.entries()) {
      const [map] = json.explanation.maps;
      const ref = await direct(session, pngs[i]!, [map.class.index]);
      expectServedMap(map.heatmap, ref.heatmaps[0]!);
    }
  });
});
