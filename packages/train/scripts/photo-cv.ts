/**
 * Photographer-grouped k-fold cross-validation of photo fine-tuning, with the
 * starting model measured on the same folds. Each fold is one `pnpm train`
 * run with `--photo-fold F` (a child process, so a long run can be resumed:
 * folds whose run directory holds metrics.json are read, not retrained).
 *
 *   pnpm --filter @fmnist/train run photo-cv --out runs/photo-cv --write -- <pnpm train flags, --init-from included>
 *
 * --write records docs/<doc>.json and docs/<doc>.md (--doc, default photo-cv: the shipped CNN's;
 * photo-cv-resnet holds the ResNet's).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  acceptMask,
  accepts,
  argmaxRows,
  confidences,
  expectedCalibrationError,
  fitTemperature,
  NUM_CLASSES,
  photographerFolds,
  photoMetrics,
  softmaxRows,
  RUN_FILES,
} from '@fmnist/core';
import { readPhotoSet, repoRoot, resolvePhotoDir, userPath, requireRunMetrics } from '@fmnist/core/node';
import type { Recipe } from '../src/recipe.ts';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { predictInputs } from '../src/model/evaluate.ts';
import { loadCachedPhotos, resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { photoInputs } from '../src/photos/photo-data.ts';
import { CALIBRATION_GROUPS, photographerCrossFittedEce } from '../src/photos/photo-report.ts';

const split = process.argv.indexOf('--');
const own = split < 0 ? process.argv.slice(2) : process.argv.slice(2, split);
const trainArgs = split < 0 ? [] : process.argv.slice(split + 1);
const { values } = parseArgs({
  args: own,
  options: {
    folds: { type: 'string', default: '5' },
    'split-seed': { type: 'string', default: '42' },
    out: { type: 'string', default: 'runs/photo-cv' },
    photos: { type: 'string' },
    write: { type: 'boolean' },
    doc: { type: 'string', default: 'photo-cv' },
    'only-fold': { type: 'string' },
  },
});
const folds = Number(values.folds);
const seed = Number(values['split-seed']);
const out = userPath(values.out!);
const photoDir = values.photos ? userPath(values.photos) : resolvePhotoDir();
const initFrom = trainArgs[trainArgs.indexOf('--init-from') + 1];
if (!trainArgs.includes('--init-from') || !initFrom)
  throw new Error('pass the train flags after --, --init-from included: the starting model is measured on the same folds');

function trainFold(f: number): Promise<void> {
  const args = [
    'src/cli.ts',
    ...trainArgs,
    '--photos',
    photoDir,
    '--photo-folds',
    String(folds),
    '--photo-fold',
    String(f),
    '--photo-split-seed',
    String(seed),
    '--out',
    join(out, `fold-${f}`),
  ];
  console.log(`fold ${f}: tsx ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit', cwd: join(repoRoot(), 'packages', 'train') });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fold ${f} failed (exit ${code})`))));
  });
}

const wanted = values['only-fold'] === undefined ? [...Array(folds).keys()] : [Number(values['only-fold'])];
for (const f of wanted) if (!existsSync(join(out, `fold-${f}`, RUN_FILES.metrics))) await trainFold(f);
if (values['only-fold'] !== undefined) process.exit(0);

const set = await readPhotoSet(photoDir);
const foldOf = photographerFolds(set.entries, folds, seed);
const runs = await Promise.all([...Array(folds).keys()].map(async (f) => requireRunMetrics<Recipe>(join(out, `fold-${f}`))));

await selectBackend('wasm');
const { photos } = await loadCachedPhotos(set, { cacheDir: resolvePhotoCacheDir() });

// Out-of-fold logits of the fine-tuned models (each fold's saved model on its own validation photos), pooled.
const logits = new Float32Array(set.entries.length * NUM_CLASSES);
for (let f = 0; f < folds; f++) {
  if (!runs[f]!.photos) throw new Error(`fold ${f} is not a photo run`);
  const idx = [...foldOf.keys()].filter((i) => foldOf[i] === f);
  if (runs[f]!.photos!.validationPhotos !== idx.length)
    throw new Error(`fold ${f} validated ${runs[f]!.photos!.validationPhotos} photos, the split has ${idx.length}: the runs used another split`);
  const foldLogits = predictInputs(await loadLayersModel(join(out, `fold-${f}`)), photoInputs(photos, idx), idx.length);
  idx.forEach((i, j) => logits.set(foldLogits.subarray(j * NUM_CLASSES, (j + 1) * NUM_CLASSES), i * NUM_CLASSES));
}
const tuned = argmaxRows(logits, NUM_CLASSES);
const base = argmaxRows(predictInputs(await loadLayersModel(userPath(initFrom)), photoInputs(photos, [...photos.keys()]), photos.length), NUM_CLASSES);

// Calibration per fold: fitted on the fold itself (as a shipped run does); cross-fitted within the fold (each fifth of its
// photographers calibrated by the others' fit: what a shipped run's calibration gives new photographers); and with the
// temperature of the other folds' models (whether one temperature carries over between runs of the recipe).
const labelled = set.entries.map((e) => e.accept.length > 0);
const right = set.entries.map((e, i) => labelled[i]! && accepts(acceptMask(e.accept), tuned[i]!));
const rowsOf = (idx: number[]) => Float32Array.from(idx.flatMap((i) => Array.from(logits.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES))));
const calibration = [...Array(folds).keys()].map((f) => {
  const own = [...foldOf.keys()].filter((i) => foldOf[i] === f && labelled[i]);
  const others = [...foldOf.keys()].filter((i) => foldOf[i] !== f && labelled[i]);
  const ownRight = own.map((i) => right[i]!);
  const ece = (t: number) => expectedCalibrationError(confidences(softmaxRows(rowsOf(own), t)), ownRight);
  const tOwn = fitTemperature(rowsOf(own), ownRight);
  const tCross = fitTemperature(
    rowsOf(others),
    others.map((i) => right[i]!),
  );
  const withinFold = photographerCrossFittedEce(
    rowsOf(own),
    ownRight,
    own.map((i) => set.entries[i]!),
    seed,
  );
  return { before: ece(1), temperature: tOwn, after: ece(tOwn), withinFold, crossTemperature: tCross, crossFitted: ece(tCross) };
});

const perFold = (pred: Int32Array, f: number) => {
  const idx = [...foldOf.keys()].filter((i) => foldOf[i] === f);
  return photoMetrics(
    idx.map((i) => set.entries[i]!),
    idx.map((i) => pred[i]!),
  );
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((v) => (v - mean(xs)) ** 2)));
const summary = (pred: Int32Array) => {
  const byFold = [...Array(folds).keys()].map((f) => perFold(pred, f));
  const pooled = photoMetrics(set.entries, pred);
  return {
    acceptTop1: { mean: mean(byFold.map((m) => m.acceptTop1)), std: std(byFold.map((m) => m.acceptTop1)), folds: byFold.map((m) => m.acceptTop1) },
    strictTop1: { mean: mean(byFold.map((m) => m.strictTop1)), folds: byFold.map((m) => m.strictTop1) },
    pooled: { acceptTop1: pooled.acceptTop1, strictTop1: pooled.strictTop1, bySourceLabel: pooled.bySourceLabel },
  };
};
const hits = right.filter(Boolean).length;
const result = {
  command: `pnpm --filter @fmnist/train run photo-cv --out ${values.out}${values.doc === 'photo-cv' ? '' : ` --doc ${values.doc}`} -- ${trainArgs.join(' ')}`,
  photos: {
    dir: values.photos ?? 'PHOTOS_DIR or ../shared/clothing-photos',
    entries: set.entries.length,
    withClass: set.entries.filter((e) => e.accept.length > 0).length,
    folds,
    splitSeed: seed,
  },
  fineTuned: {
    ...summary(tuned),
    hits,
    fmnistTestAccuracy: runs.map((m) => m.accuracy),
    calibration,
    trainMinutes: runs.map((m) => m.trainSeconds / 60),
  },
  startingModel: { path: initFrom, ...summary(base) },
};
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const labels = Object.keys(result.fineTuned.pooled.bySourceLabel);
const md = [
  '# Photographer-grouped cross-validation on real photos',
  '',
  `Command: \`${result.command}\` (then \`--write\`). ${folds} folds dealt by photographer (split seed ${seed}); accept-top1 over photos with a class, strict top-1 over photos whose mapping is not soft; per-label figures pool the out-of-fold predictions. Data: docs/${values.doc}.json.`,
  '',
  '| model | accept-top1, mean of folds (± std) | per fold | strict top-1 (mean) | Fashion-MNIST test, per fold |',
  '|---|---|---|---|---|',
  `| fine-tuned | **${pct(result.fineTuned.acceptTop1.mean)}** ± ${pct(result.fineTuned.acceptTop1.std)} | ${result.fineTuned.acceptTop1.folds.map(pct).join(', ')} | ${pct(result.fineTuned.strictTop1.mean)} | ${result.fineTuned.fmnistTestAccuracy.map((a) => pct(a)).join(', ')} |`,
  `| starting model (${initFrom}) | ${pct(result.startingModel.acceptTop1.mean)} ± ${pct(result.startingModel.acceptTop1.std)} | ${result.startingModel.acceptTop1.folds.map(pct).join(', ')} | ${pct(result.startingModel.strictTop1.mean)} | |`,
  '',
  'Calibration of the fine-tuned models (expected calibration error of the top-1 probability against accept-top1, 15 bins, photos with a class):',
  '',
  `| fold | ECE uncalibrated | temperature fitted on the fold | ECE after, measured where fitted | ECE after, cross-fitted within the fold (${CALIBRATION_GROUPS} photographer groups) | temperature fitted on the other folds' models | ECE after, with that temperature |`,
  '|---|---|---|---|---|---|---|',
  ...calibration.map(
    (c, f) =>
      `| ${f} | ${c.before.toFixed(3)} | ${c.temperature.toFixed(3)} | ${c.after.toFixed(3)} | ${c.withinFold.toFixed(3)} | ${c.crossTemperature.toFixed(3)} | ${c.crossFitted.toFixed(3)} |`,
  ),
  `| mean | ${(calibration.reduce((a, c) => a + c.before, 0) / folds).toFixed(3)} | | ${(calibration.reduce((a, c) => a + c.after, 0) / folds).toFixed(3)} | ${(calibration.reduce((a, c) => a + c.withinFold, 0) / folds).toFixed(3)} | | ${(calibration.reduce((a, c) => a + c.crossFitted, 0) / folds).toFixed(3)} |`,
  '',
  '| source label | photos | fine-tuned | starting model |',
  '|---|---|---|---|',
  ...labels.map(
    (l) =>
      `| ${l} | ${result.fineTuned.pooled.bySourceLabel[l]!.count} | ${pct(result.fineTuned.pooled.bySourceLabel[l]!.acceptTop1)} | ${pct(result.startingModel.pooled.bySourceLabel[l]?.acceptTop1 ?? 0)} |`,
  ),
  '',
  `Training minutes per fold: ${result.fineTuned.trainMinutes.map((m) => m.toFixed(1)).join(', ')}.`,
  '',
].join('\n');
console.log(md);
if (values.write) {
  await writeFile(join(repoRoot(), 'docs', `${values.doc}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(repoRoot(), 'docs', `${values.doc}.md`), md);
}
