import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, repoRoot, type Split } from '@fmnist/core/node';
import { testDataDir, testPhotoDir } from '@fmnist/core/testing';
import { selectBackend } from '../src/backend/select.ts';
import { photoAcceptTop1 } from '../src/photos/mixer.ts';
import type { Recipe } from '../src/recipe.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { trainRun } from '../src/run.ts';
import { DEFAULT_PHOTO_AUGMENT } from '../src/photos/augment-photo.ts';
import { resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { loadPhotoData } from '../src/photos/load-photos.ts';
import type { PhotoData } from '../src/photos/photo-data.ts';
import { withSeededMathRandom } from '../src/random.ts';
import type { TrainRunMetrics } from '../src/report/run-report.ts';
import { RUN_FILES } from '@fmnist/core';

const dataDir = testDataDir();
const photoDir = testPhotoDir();

describe.skipIf(!dataDir || !photoDir)('fine-tuning on real photos (wasm backend)', () => {
  const start = join(repoRoot(), 'models', 'cnn');
  let train: Split;
  let test: Split;
  let base: TrainRunMetrics;
  beforeAll(async () => {
    await selectBackend('wasm');
    [train, test] = await Promise.all([loadSplit(dataDir!, 'train'), loadSplit(dataDir!, 'test')]);
    base = JSON.parse(await readFile(join(start, RUN_FILES.metrics), 'utf8')) as TrainRunMetrics;
  });

  it('a short run from the Fashion-MNIST CNN raises photo validation accept-top1, with no photographer on both sides', async () => {
    const recipe: Recipe = {
      ...base.recipe,
      epochs: 1,
      learningRate: 0.001,
      lrSchedule: 'constant',
      limit: 1600,
      validationCount: 1000,
      initFrom: start,
      photos: { dir: photoDir!, ratio: 0.5, folds: 5, fold: 0, splitSeed: 42, augment: DEFAULT_PHOTO_AUGMENT },
    };
    const photos: PhotoData = await loadPhotoData(recipe.photos!, resolvePhotoCacheDir());
    const senders = (idx: number[]) => new Set(idx.map((i) => photos.entries[i]!.senderId));
    const trainSenders = senders(photos.split.train);
    expect([...senders(photos.split.validation)].filter((s) => trainSenders.has(s))).toEqual([]);

    const starting = await loadLayersModel(start);
    const before = photoAcceptTop1(starting, photos, photos.split.validation);
    const initialWeights = starting.getWeights().map((w) => w.dataSync() as Float32Array);
    const out = await mkdtemp(join(tmpdir(), 'fmnist-photo-run-'));
    const run = await withSeededMathRandom(1, () =>
      trainRun(train, test, recipe, { out, backend: 'wasm', workers: 2, testLimit: 1000, initialWeights, photos }),
    );
    const after = run.metrics.photos!.validation.acceptTop1;
    expect(after).toBeGreaterThan(before + 0.03);
    // The figure the run reports is the model's own on those photos.
    expect(photoAcceptTop1(run.model, photos, photos.split.validation)).toBeCloseTo(after, 10);
    // Calibration was fitted and written with the run.
    const saved = JSON.parse(await readFile(join(out, RUN_FILES.metrics), 'utf8')) as TrainRunMetrics;
    expect(saved.photos!.calibration.temperature).toBeGreaterThan(0);
    // The calibration error on photographers the temperature did not see is reported beside the fitted one.
    const c = saved.photos!.calibration;
    expect(c.eceCrossFitted).toBeGreaterThanOrEqual(0);
    expect(c.eceCrossFitted).toBeLessThan(1);
    expect(saved.photos!.validationPhotos).toBe(photos.split.validation.length);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('Real photos (validation split)');
  });
});
