import { join, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SingleBar } from 'cli-progress';
import { loadSplit, repoRoot, resolveDataDir, userPath } from '@fmnist/core/node';
import { resolvePhotoCacheDir } from './photos/cache.ts';
import { loadPhotoData } from './photos/load-photos.ts';
import { BACKEND_CHOICES, defaultWorkers, describeSelection, selectBackend, type BackendChoice } from './backend/select.ts';
import { MODEL_KINDS, type ModelKind } from '@fmnist/core';
import { buildRecipeModel, setWeightValues } from './model/recipe-model.ts';
import { readCheckpoint, type Checkpoint } from './checkpoint.ts';
import { loadLayersModel } from './model/artifacts.ts';
import { checkTeacher } from './model/teacher.ts';
import { trainRun } from './run.ts';
import { fail, numberFlag, parseCliFlags } from './cli-flags.ts';
import { recipeFromFlags } from './cli-recipe.ts';

const v = parseCliFlags();
const RESUME_COMPATIBLE = new Set(['resume', 'backend', 'workers', 'data-dir', 'test-limit']);
const resumeDir = v.resume === undefined ? undefined : userPath(v.resume);
let checkpoint: Checkpoint | undefined;
if (resumeDir) {
  const extra = Object.keys(v).filter((k) => !RESUME_COMPATIBLE.has(k));
  if (extra.length) fail(`--resume continues a run with its own recipe; drop ${extra.map((k) => `--${k}`).join(', ')}`);
  checkpoint = await readCheckpoint(resumeDir).catch((err: unknown) => fail(`--resume: ${err instanceof Error ? err.message : String(err)}`));
  if (checkpoint.epoch >= checkpoint.recipe.epochs) fail(`--resume: ${v.resume} already completed all ${checkpoint.recipe.epochs} epochs`);
  v.model = checkpoint.recipe.model;
}
if (!MODEL_KINDS.includes(v.model as ModelKind)) fail(`--model must be one of ${MODEL_KINDS.join(', ')}`);
const backend = (v.backend ?? 'auto') as BackendChoice;
if (!BACKEND_CHOICES.includes(backend)) fail(`--backend must be one of ${BACKEND_CHOICES.join(', ')}`);

const recipe = recipeFromFlags(v, checkpoint);

// The wasm runtime rethrows uncaught errors with its whole minified source; print the message alone.
process.on('uncaughtException', (err) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const selection = await selectBackend(backend);
console.log(describeSelection(selection));
const workers =
  v.workers === undefined || v.workers === 'auto' ? (checkpoint?.workers ?? defaultWorkers(selection.used, recipe.model)) : numberFlag(v.workers, 'workers', 1);
if (checkpoint && workers !== checkpoint.workers)
  fail(`--resume: the run trained with ${checkpoint.workers} worker(s); the same count is needed to continue it exactly (--workers ${checkpoint.workers})`);
if (workers < 1) fail('--workers must be at least 1');
console.log(`workers: ${workers}`);
let initialWeights: Float32Array[] | undefined;
if (recipe.initFrom) {
  const source = await loadLayersModel(userPath(recipe.initFrom)).catch((err: unknown) =>
    fail(`--init-from ${recipe.initFrom}: ${err instanceof Error ? err.message : String(err)}`),
  );
  initialWeights = source.getWeights().map((w) => w.dataSync() as Float32Array);
  // Check the shapes now, before the data loads, so a mismatch names the flags to fix.
  const check = buildRecipeModel(recipe);
  try {
    setWeightValues(check, initialWeights);
  } catch (err) {
    fail(`--init-from ${recipe.initFrom}: ${(err as Error).message} (pass the same --batch-norm and --padding as its run)`);
  }
  check.dispose();
  source.dispose();
  console.log(`starting from the weights of ${recipe.initFrom}`);
}
let teacher: tfl.LayersModel | undefined;
if (recipe.distill) {
  const { from, weight, temperature } = recipe.distill;
  // The recipe holds the folder relative to the repository (see recipeFromFlags), also under --resume.
  try {
    teacher = await loadLayersModel(resolve(repoRoot(), from));
    checkTeacher(teacher);
  } catch (err) {
    fail(`--distill-from ${from}: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`distilling from ${from} (weight ${weight}, temperature ${temperature})`);
}
const photos = recipe.photos
  ? await loadPhotoData(recipe.photos, resolvePhotoCacheDir(v['photo-cache']), console.log).catch((err: unknown) =>
      fail(`--photos: ${err instanceof Error ? err.message : String(err)}`),
    )
  : undefined;
const dataDir = resolveDataDir(v['data-dir']);
const [train, test] = await Promise.all([loadSplit(dataDir, 'train'), loadSplit(dataDir, 'test')]);
const out = resumeDir ?? (v.out ? userPath(v.out) : join(repoRoot(), 'runs', `${recipe.model}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
if (checkpoint)
  console.log(
    `resuming ${out} after epoch ${checkpoint.epoch}/${recipe.epochs} (${(checkpoint.history.reduce((s, h) => s + h.seconds, 0) / 60).toFixed(1)} training minutes so far)`,
  );
if (checkpoint?.testLimit !== undefined && !v['test-limit'])
  console.log(`test set: the first ${checkpoint.testLimit} image(s), as the run was started (--test-limit)`);
console.log(`data: ${dataDir} (${train.count} train, ${test.count} test) -> ${out}`);

// The bar draws only on a terminal; a log file gets one line per epoch instead.
const bar = new SingleBar({ format: 'epoch {epoch} {bar} {value}/{total} batches | ETA {eta}s | loss {loss} | acc {acc}', hideCursor: true });
const result = await trainRun(train, test, recipe, {
  out,
  backend: selection.used,
  workers,
  // Absent under --resume: the run's own limit, kept in its checkpoint.
  testLimit: v['test-limit'] ? numberFlag(v['test-limit'], 'test-limit', 0) : undefined,
  ...(initialWeights ? { initialWeights } : {}),
  ...(photos ? { photos } : {}),
  ...(teacher ? { teacher } : {}),
  ...(checkpoint ? { resume: checkpoint } : {}),
  hooks: {
    onTeacherLogits: (images, seconds) => console.log(`teacher logits of ${images} training images in ${seconds.toFixed(1)} s`),
    onEpochStart: (epoch, batches) => bar.start(batches, 0, { epoch: `${epoch}/${recipe.epochs}`, loss: '-', acc: '-' }),
    onBatch: (b, loss, acc) => {
      if (b % 10 === 0) bar.update(b, { loss: loss.toFixed(4), acc: acc.toFixed(4) });
    },
    onEpochEnd: (r) => {
      bar.stop();
      const photoVal = r.photoValAccuracy === undefined ? '' : ` | photo val ${r.photoValAccuracy.toFixed(4)}`;
      console.log(
        `epoch ${r.epoch}/${recipe.epochs}: loss ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(4)} | val loss ${r.valLoss.toFixed(4)} val acc ${r.valAccuracy.toFixed(4)}${photoVal} | ${r.seconds.toFixed(1)} s, ${r.imagesPerSecond.toFixed(0)} img/s`,
      );
    },
  },
});
teacher?.dispose();
if (result.metrics.photos) {
  const p = result.metrics.photos;
  console.log(
    `photo validation: accept-top1 ${(100 * p.validation.acceptTop1).toFixed(2)}%, strict top-1 ${(100 * p.validation.strictTop1).toFixed(2)}%; temperature ${p.calibration.temperature.toFixed(3)}, ECE ${p.calibration.eceBefore.toFixed(3)} -> ${p.calibration.eceAfter.toFixed(3)} (cross-fitted ${p.calibration.eceCrossFitted?.toFixed(3)})`,
  );
}
console.log(
  `test accuracy ${(100 * result.metrics.accuracy).toFixed(2)}% (best epoch ${result.metrics.bestEpoch}); macro F1 ${(100 * result.metrics.macro.f1).toFixed(2)}%\nrun written to ${out}`,
);
