import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunHistory, parseRunMetrics, RUN_FILES, RunFileError, type RunHistory, type RunMetrics } from './run-dir.ts';
import { readRunHistory, readRunMetrics, writeRunJson } from './run-files.ts';

const metrics: RunMetrics = {
  split: 'test',
  count: 4,
  accuracy: 0.75,
  macro: { precision: 0.7, recall: 0.75, f1: 0.72 },
  perClass: [],
  confusion: [
    [3, 1],
    [0, 0],
  ],
  loss: 0.61,
  model: 'mlp',
  recipe: { model: 'mlp', validationCount: 10 },
  backend: 'cpu',
  bestEpoch: 2,
  validationAccuracy: 0.7,
  trainSeconds: 3,
  trainImagesPerSecond: 100,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const history: RunHistory = {
  bestEpoch: 2,
  epochs: [1, 2].map((epoch) => ({
    epoch,
    loss: 1 / epoch,
    accuracy: 0.5,
    valLoss: 1,
    valAccuracy: 0.6,
    learningRate: 1e-3,
    seconds: 1,
    imagesPerSecond: 100,
  })),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('run directory files', () => {
  it('reads back what writeRunJson wrote, under the RUN_FILES names', async () => {
    await writeRunJson(dir, metrics, history);
    expect(await readRunMetrics(dir)).toEqual(metrics);
    expect(await readRunHistory(dir)).toEqual(history);
  });
  it('is undefined for a run without the file, a RunFileError for broken JSON', async () => {
    const empty = join(dir, 'empty');
    expect(await readRunMetrics(empty)).toBeUndefined();
    await writeFile(join(dir, RUN_FILES.history), '{"bestEpoch": 1, ');
    await expect(readRunHistory(dir)).rejects.toThrow(RunFileError);
  });
});

describe('parseRunMetrics', () => {
  it('rejects metrics nested away from the top level, naming the field', () => {
    expect(() => parseRunMetrics({ test: { accuracy: 0.9 } })).toThrow(/metrics\.json: 'accuracy' must be a number/);
  });
  it('rejects a broken confusion matrix, recipe or photo calibration', () => {
    expect(() => parseRunMetrics({ ...metrics, confusion: [[1, 'x']] })).toThrow(/'confusion'/);
    expect(() => parseRunMetrics({ ...metrics, recipe: { model: 'mlp' } })).toThrow(/'recipe'/);
    expect(() => parseRunMetrics({ ...metrics, photos: { calibration: { temperature: 1 }, validation: {} } })).toThrow(/'photos\.calibration'/);
  });
});

describe('parseRunHistory', () => {
  it('names the first bad epoch', () => {
    expect(parseRunHistory(history)).toBe(history);
    expect(() => parseRunHistory({ bestEpoch: 1, epochs: [history.epochs[0], { epoch: 2 }] })).toThrow(/epochs\[1\]/);
    expect(() => parseRunHistory([])).toThrow(RunFileError);
  });
});
