import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLASS_NAMES, INPUT_CONTRACT, METADATA_KEYS, OUTPUT_NAMES, runClassifier, type RunMetrics, RUN_FILES } from '@fmnist/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviation, rng, randomizeWeights, uniform } from '../test/helpers.ts';
import { architectures, saveRunDir } from '../test/run-dir.ts';
import { decodeModel } from './onnx/proto.ts';
import { openCpuSession } from './ort.ts';
import { exportRunDir } from './pipeline.ts';
import { predictFlat, useCpuBackend } from './tfjs.ts';

let root: string;
beforeAll(async () => {
  await useCpuBackend();
  root = await mkdtemp(join(tmpdir(), 'fmnist-export-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

// metrics.json as train writes it (core's RunMetrics): the test metrics at the top level.
const metrics: RunMetrics = {
  split: 'test',
  accuracy: 0.8765,
  macro: { precision: 0.87, recall: 0.86, f1: 0.865 },
  perClass: [],
  count: 10000,
  confusion: [[1]],
  loss: 0.35,
  model: 'fixture',
  recipe: { model: 'cnn', validationCount: 5000 },
  backend: 'cpu',
  bestEpoch: 1,
  validationAccuracy: 0.88,
  trainSeconds: 1,
  trainImagesPerSecond: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe.each(Object.keys(architectures) as (keyof typeof architectures)[])('%s run directory -> ONNX', (arch) => {
  it('matches tfjs within 1e-5 on random images, with the graph contract and metadata', async () => {
    const model = architectures[arch]();
    randomizeWeights(model, arch.length);
    const dir = join(root, arch);
    await saveRunDir(model, dir, metrics);

    const exported = await exportRunDir(dir);
    expect(exported.inputDims).toEqual(['N', 1, 28, 28]);

    const n = 8;
    const images = uniform(n * 784, 0, 1, rng(99));
    // tfjs reads the artifact's reloaded model, so the comparison covers the disk round trip too.
    const tfjs = predictFlat(exported.model, images, [n, 28, 28, 1]);
    const session = await openCpuSession(exported.bytes);
    expect(session.inputNames).toEqual([INPUT_CONTRACT.name]);
    expect(session.outputNames).toEqual([OUTPUT_NAMES.logits, OUTPUT_NAMES.probabilities]);
    const { logits, probabilities } = await runClassifier(session, images, [n, 1, 28, 28]);
    await session.release();
    const { maxAbs, maxLogit } = deviation(tfjs, logits);
    // Logits of a trained model's scale (not ~0, which would make any tolerance trivial).
    expect(maxLogit).toBeGreaterThan(0.1);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    for (let r = 0; r < n; r++) expect(probabilities.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const onnxModel = decodeModel(exported.bytes);
    expect(Number(onnxModel.irVersion)).toBe(8);
    expect(onnxModel.opsetImport.map((o) => Number(o.version))).toEqual([13]);
    const ops = onnxModel.graph!.node!.map((node) => node.opType);
    expect(ops).not.toContain('Identity');
    expect(ops).not.toContain('Transpose');
    expect(ops).not.toContain('BatchNormalization');
    const initNames = onnxModel.graph!.initializer!.map((t) => t.name);
    expect(new Set(initNames).size).toBe(initNames.length);

    const meta = Object.fromEntries(onnxModel.metadataProps.map((p) => [p.key, p.value]));
    const files = [await readFile(join(dir, RUN_FILES.model)), await readFile(join(dir, RUN_FILES.weights))];
    expect(meta[METADATA_KEYS.sourceSha256]).toBe(createHash('sha256').update(files[0]!).update(files[1]!).digest('hex'));
    expect(JSON.parse(meta[METADATA_KEYS.classNames]!)).toEqual([...CLASS_NAMES]);
    expect(JSON.parse(meta[METADATA_KEYS.sourceMetrics]!).accuracy).toBe(metrics.accuracy);
    expect(JSON.parse(meta[METADATA_KEYS.preprocessing]!).shape).toEqual(INPUT_CONTRACT.onnxShape);
    expect(meta[METADATA_KEYS.exporterVersion]).toMatch(/^\d+\.\d+\.\d+/);
  });
});
