import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect } from 'vitest';
import { bytesToInput, DEFAULT_MODEL, EXPLAIN_DIR, IMAGE_PIXELS, METADATA_KEYS } from '@fmnist/core';
import { repoRoot } from '@fmnist/core/node';
import { DEFAULT_DECODE } from '../src/decode-budget.ts';
import { readOnnxInfo } from '../src/onnx-meta.ts';
import { prepareImage } from '../src/prepare.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './helpers.ts';

/**
 * What the explanation tests share: the shipped explanation graphs
 * (models/explain), a server on a models directory of links to them, and the
 * graphs run directly with onnxruntime-node, to hold the server's maps to.
 */
export const models = join(repoRoot(), 'models');

export interface ExplainFixture {
  dir: string;
  server: RunningServer;
  /** The explanation graphs of cnn and mlp, opened directly. */
  sessions: Map<string, ort.InferenceSession>;
}

/** Starts the server before a file's tests and stops it after them; call the result for the fixture. */
export function useExplainServer(): () => ExplainFixture {
  let fx: ExplainFixture | undefined;
  beforeAll(async () => {
    // A models directory of links: two models with graphs, one without, one whose graph came from other weights.
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-explain-'));
    await mkdir(join(dir, EXPLAIN_DIR));
    const link = (from: string, to: string) => symlink(join(models, from), join(dir, to));
    await link('cnn.onnx', 'cnn.onnx');
    await link('mlp.onnx', 'mlp.onnx');
    await link(`${EXPLAIN_DIR}/cnn.onnx`, `${EXPLAIN_DIR}/cnn.onnx`);
    await link(`${EXPLAIN_DIR}/mlp.onnx`, `${EXPLAIN_DIR}/mlp.onnx`);
    await link('mlp.onnx', 'bare.onnx');
    await link('cnn.onnx', 'stale.onnx');
    await link(`${EXPLAIN_DIR}/mlp.onnx`, `${EXPLAIN_DIR}/stale.onnx`);
    await link(`${DEFAULT_MODEL}.onnx`, `${DEFAULT_MODEL}.onnx`);
    // The default model explains as soon as its graph ships; until then it must refuse clearly.
    if (existsSync(join(models, EXPLAIN_DIR, `${DEFAULT_MODEL}.onnx`)))
      await link(`${EXPLAIN_DIR}/${DEFAULT_MODEL}.onnx`, `${EXPLAIN_DIR}/${DEFAULT_MODEL}.onnx`);
    const sessions = new Map<string, ort.InferenceSession>();
    for (const m of ['cnn', 'mlp']) sessions.set(m, await ort.InferenceSession.create(join(models, EXPLAIN_DIR, `${m}.onnx`)));
    fx = { dir, server: await startTestServer({ modelsDir: dir }), sessions };
  }, 120_000);
  afterAll(async () => {
    await fx?.server.close();
    for (const s of fx?.sessions.values() ?? []) await s.release();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });
  return () => fx!;
}

/** A synthetic Fashion-MNIST-like image: a bright block on black. */
export function block(seed: number): Uint8Array {
  const px = new Uint8Array(IMAGE_PIXELS);
  for (let y = 3 + (seed % 5); y < 25; y++) for (let x = 5 + (seed % 3); x < 23 - (seed % 7); x++) px[y * 28 + x] = 90 + ((x * y * 7 + seed * 13) % 160);
  return px;
}

/** The graph's heatmaps for one upload, run directly: the server's preprocessing, then onnxruntime-node. */
export async function direct(session: ort.InferenceSession, bytes: Uint8Array, classes: number[]): Promise<{ heatmaps: Float32Array[]; explained: number[] }> {
  const { pixels } = await prepareImage(bytes, DEFAULT_DECODE, {});
  const one = bytesToInput(pixels);
  const input = new Float32Array(classes.length * IMAGE_PIXELS);
  classes.forEach((_, i) => input.set(one, i * IMAGE_PIXELS));
  const out = await session.run({
    input: new ort.Tensor('float32', input, [classes.length, 1, 28, 28]),
    class: new ort.Tensor('int64', BigInt64Array.from(classes, BigInt), [classes.length]),
  });
  const heat = out.heatmap!.data as Float32Array;
  return {
    heatmaps: classes.map((_, i) => heat.slice(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)),
    explained: Array.from(out.explained_class!.data as BigInt64Array, Number),
  };
}

export const flat = (rows: number[][]) => Float32Array.from(rows.flat());

/**
 * A heatmap as /classify serves it against the graph's own values from a run
 * of the test's: 28 rows of 28, each value with at most 6 decimals and within
 * 1e-6 of the graph's (the rounding's 5e-7, and the last bits by which the
 * server's batch, in another session, can differ from the test's run).
 */
export function expectServedMap(rows: number[][], graph: Float32Array): void {
  expect(rows).toHaveLength(28);
  for (const row of rows) expect(row).toHaveLength(28);
  const served = rows.flat();
  expect(served.filter((v) => Math.round(v * 1e6) / 1e6 !== v)).toEqual([]);
  expect(Math.max(...served.map((v, i) => Math.abs(v - graph[i]!)))).toBeLessThanOrEqual(1e-6);
}

/** The graph's float32 values as JSON carries them: exactly, except that -0 (which JSON cannot write) reads back as 0. */
export const asJson = (values: Float32Array) => Float32Array.from(values, (v) => v + 0);

/** The default map a shipped graph names in its metadata. */
export async function graphHeatmap(model: string): Promise<string> {
  const meta = readOnnxInfo(new Uint8Array(await readFile(join(models, EXPLAIN_DIR, `${model}.onnx`)))).metadata;
  return (JSON.parse(meta[METADATA_KEYS.explanation]!) as { heatmap: string }).heatmap;
}
