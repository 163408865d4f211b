import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, type Split } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import { selectBackend } from '../src/backend/select.ts';
import { fit } from '../src/fit.ts';
import { defaultRecipe, type Recipe } from '../src/recipe.ts';
import { trainRun } from '../src/run.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { evaluateView } from '../src/model/evaluate.ts';
import { wholeView } from '../src/data/batches.ts';
import { withSeededMathRandom } from '../src/random.ts';
import { RUN_FILES } from '@fmnist/core';

const dir = testDataDir();

describe.skipIf(!dir)('training on the real data (wasm backend)', () => {
  let train: Split;
  let test: Split;
  beforeAll(async () => {
    await selectBackend('wasm');
    [train, test] = await Promise.all([loadSplit(dir!, 'train'), loadSplit(dir!, 'test')]);
  });

  it('a short CNN run on 5,000 images clearly beats chance on 1,000 test images, and its saved model reloads', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fmnist-run-'));
    const recipe: Recipe = { ...defaultRecipe('cnn'), augment: null, epochs: 3, limit: 5000, validationCount: 1000 };
    const run = await trainRun(train, test, recipe, { out, backend: 'wasm', testLimit: 1000 });
    expect(run.metrics.count).toBe(1000);
    expect(run.metrics.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(run.history).toHaveLength(3);
    // Loss falls over the run.
    expect(run.history[2]!.loss).toBeLessThan(run.history[0]!.loss);

    const saved = JSON.parse(await readFile(join(out, RUN_FILES.metrics), 'utf8'));
    expect(saved.accuracy).toBe(run.metrics.accuracy);
    expect(saved.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(1000);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('taken for');
    expect(await readFile(join(out, 'confusion.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await readFile(join(out, 'curves.svg'), 'utf8')).toMatch(/^<svg/);

    const reloaded = await loadLayersModel(out);
    const again = evaluateView(reloaded, wholeView(test, 1000));
    expect(again.accuracy).toBe(run.metrics.accuracy);
  });

  it('seeded runs reproduce their loss curve; another seed does not', async () => {
    const recipe: Recipe = {
      ...defaultRecipe('mlp'),
      epochs: 2,
      limit: 3000,
      validationCount: 500,
      augment: { maxRotationDeg: 15, flipProbability: 0.5, maxShift: 2 },
    };
    const curve = (seed: number) =>
      withSeededMathRandom(seed, async () => {
        const r = await fit(train, { ...recipe, seed });
        r.model.dispose();
        return r.history.map((h) => [h.loss, h.accuracy, h.valLoss]);
      });
    const a = await curve(1);
    const b = await curve(1);
    const c = await curve(2);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(tf.memory().numTensors).toBeLessThan(100);
  });
});
