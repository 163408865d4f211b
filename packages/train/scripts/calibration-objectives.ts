/**
 * Which objective should fit a photo model's temperature? Each fold model of
 * a photo cross-validation (`photo-cv --out DIR`) is calibrated the way a
 * shipped run is, on its own validation fold, with each objective; the fit is
 * judged on photographers it did not see (the fold's photographers dealt into
 * groups, each calibrated by the others' fit) by the 15-bin ECE asked of the
 * model. Prints a markdown table per fold and the means.
 *
 *   pnpm --filter @fmnist/train exec tsx scripts/calibration-objectives.ts runs/photo-cv-resnet4
 */
import { join } from 'node:path';
import {
  acceptMask,
  accepts,
  argmaxRows,
  confidences,
  expectedCalibrationError,
  fitTemperature,
  fitTemperatureBy,
  NUM_CLASSES,
  photographerFolds,
  softmaxRows,
} from '@fmnist/core';
import { readPhotoSet, resolvePhotoDir, userPath } from '@fmnist/core/node';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { predictInputs } from '../src/model/evaluate.ts';
import { loadCachedPhotos, resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { photoInputs } from '../src/photos/photo-data.ts';
import { CALIBRATION_GROUPS, photographerCrossFittedEce } from '../src/photos/photo-report.ts';

const FOLDS = 5;
const SPLIT_SEED = 42;
const cvDir = process.argv[2];
if (!cvDir) throw new Error('usage: calibration-objectives CV_DIR (a photo-cv --out directory)');

type Fit = (logits: Float32Array, right: boolean[]) => number;
const gridFit =
  (score: (confidence: Float64Array, right: ArrayLike<boolean>) => number): Fit =>
  (logits, right) =>
    fitTemperatureBy(logits, right, score);
const clamp = (p: number) => Math.min(1 - 1e-7, Math.max(1e-7, p));
const objectives: Record<string, Fit> = {
  'ECE, 15 bins': (l, r) => fitTemperature(l, r, NUM_CLASSES, 15),
  'ECE, 10 bins': (l, r) => fitTemperature(l, r, NUM_CLASSES, 10),
  'ECE, 5 bins': (l, r) => fitTemperature(l, r, NUM_CLASSES, 5),
  'log loss of the top-1 confidence': gridFit((c, r) => c.reduce((s, p, i) => s - Math.log(clamp(r[i] ? p : 1 - p)), 0)),
  'Brier score of the top-1 confidence': gridFit((c, r) => c.reduce((s, p, i) => s + (p - (r[i] ? 1 : 0)) ** 2, 0)),
};

const set = await readPhotoSet(resolvePhotoDir());
const foldOf = photographerFolds(set.entries, FOLDS, SPLIT_SEED);
await selectBackend('wasm');
const { photos } = await loadCachedPhotos(set, { cacheDir: resolvePhotoCacheDir() });
const table = new Map<string, { own: number[]; crossFitted: number[] }>();
for (let f = 0; f < FOLDS; f++) {
  const idx = [...foldOf.keys()].filter((i) => foldOf[i] === f && set.entries[i]!.accept.length > 0);
  const logits = predictInputs(await loadLayersModel(join(userPath(cvDir), `fold-${f}`)), photoInputs(photos, idx), idx.length);
  const top = argmaxRows(logits, NUM_CLASSES);
  const right = idx.map((i, j) => accepts(acceptMask(set.entries[i]!.accept), top[j]!));
  for (const [name, fit] of Object.entries(objectives)) {
    const row = table.get(name) ?? { own: [], crossFitted: [] };
    row.own.push(expectedCalibrationError(confidences(softmaxRows(logits, fit(logits, right))), right));
    row.crossFitted.push(
      photographerCrossFittedEce(
        logits,
        right,
        idx.map((i) => set.entries[i]!),
        SPLIT_SEED,
        fit,
      ),
    );
    table.set(name, row);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`Folds of ${cvDir}; ECE with 15 bins, photos with a class; cross-fitted within each fold over ${CALIBRATION_GROUPS} photographer groups.\n`);
console.log(
  `| objective the temperature minimises | ${[...Array(FOLDS).keys()].map((f) => `fold ${f}`).join(' | ')} | mean, cross-fitted | mean, measured where fitted |`,
);
console.log(`|---|${[...Array(FOLDS)].map(() => '---:').join('|')}|---:|---:|`);
for (const [name, row] of table)
  console.log(`| ${name} | ${row.crossFitted.map((x) => x.toFixed(3)).join(' | ')} | **${mean(row.crossFitted).toFixed(3)}** | ${mean(row.own).toFixed(3)} |`);
