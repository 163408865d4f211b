import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { loadSplit, repoRoot, resolveDataDir, resolvePhotoDir, userPath } from '@fmnist/core/node';
import { DEFAULT_PHOTO_AUGMENT } from './photos/augment-photo.ts';
import type { PartialLoss } from './model/loss.ts';
import { resolvePhotoCacheDir } from './photos/cache.ts';
import { loadPhotoData } from './photos/load-photos.ts';
import { BACKEND_CHOICES, defaultWorkers, describeSelection, selectBackend, type BackendChoice } from './backend/select.ts';
import { MODEL_KINDS, resnetBlocks, type ModelKind } from './model/architectures.ts';
import { defaultRecipe, type Recipe } from './recipe.ts';
import { LR_SCHEDULES, type LrSchedule } from './lr-schedule.ts';
import { buildRecipeModel, setWeightValues } from './model/recipe-model.ts';
import { DEFAULT_AUGMENT } from './data/augment.ts';
import type { PhotoRecipe } from './photos/photo-recipe.ts';
import { readCheckpoint, type Checkpoint } from './checkpoint.ts';
import { DEFAULT_MOMENTUM, OPTIMIZERS, type OptimizerName } from './parallel/flat-optimizer.ts';
import { loadLayersModel } from './model/artifacts.ts';
import { trainRun } from './run.ts';

const USAGE = `pnpm train --model mlp|cnn|resnet [options]      pnpm train --resume RUN_DIR
  --epochs N            (25; resnet 30)   --batch-size N   (128)
  --lr X                (0.001; resnet 0.1)
  --lr-schedule constant|cosine|onecycle (constant; resnet onecycle)
  --optimizer adam|sgd  (adam; resnet sgd, Nesterov momentum)
  --momentum X          SGD momentum (0.9)
  --weight-decay X      L2 on kernels (0; resnet 5e-4)
  --depth N / --width N ResNet depth 6n+2 (20) and first-stage channels (16)
  --seed N              (42) seeds the validation split, the weights and the streams below
  --shuffle-seed N      seeds batch order, augmentation and dropout only (default: --seed)
  --augment             rotation ±15°, flip p=0.5, shift ±2 px
  --no-augment          none (the default)
  --rotation DEG / --flip P / --shift PX / --erase P   override one setting
                        (--shift PX is a random crop of the image zero-padded by PX;
                         --erase P random erasing; resnet default: flip 0.5, shift 2, erase 0.5)
  --resume RUN_DIR      continue an interrupted run from its last checkpoint (written after
                        every epoch) with its own recipe; only --backend, --workers,
                        --data-dir and --test-limit may be given beside it
  --batch-norm          (off)         --dropout X          (0.3)
  --conv-dropout X      (cnn 0.3)     --validation N       (5000)
  --padding valid|same  convolution padding (cnn: same)
  --limit N             train on N images only (quick runs)
  --epoch-images N      Fashion-MNIST images per epoch, drawn afresh each epoch (all)
  --init-from DIR       start from the weights of a run directory (fine-tuning; same layers)
  --label-smoothing X   smooth the cross-entropy targets (0)
  --test-limit N        evaluate on the first N test images only
  --out DIR             run directory (runs/<model>-<time>)
  --backend auto|tensorflow-gpu|tensorflow|wasm|cpu (auto)
  --workers N|auto      gradient worker threads (auto: one per core for the CNN on wasm/cpu, else 1)
  --data-dir DIR        Fashion-MNIST folder (else FMNIST_DIR, else data/fashion-mnist)
Real photos (transfer learning):
  --photos DIR          mix the labelled photos of DIR (labels.json) into training
  --with-photos         the same, from PHOTOS_DIR, else ../shared/clothing-photos
  --photo-ratio X       share of every batch that is photos (0.25)
  --partial-loss sum|max  scoring of accept sets: -log of their summed probability, or of the top accepted class's (sum)
  --photo-balance none|sqrt  draw every photo equally often, or by 1/sqrt(photos of its class) (none)
  --photo-folds K       photographer-grouped folds (5); --photo-fold F validates (0)
  --photo-split-seed N  seeds the fold deal (42)
  --no-photo-augment    photos as preprocessed (default: jittered crops, light, flips, rotation, shifts)
  --photo-cache DIR     preprocessed-photo cache (else PHOTO_CACHE_DIR, else .cache/photos)`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function numberFlag(value: string | undefined, name: string, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) fail(`--${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${value}"`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    allowNegative: true,
    options: {
      model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
      'lr-schedule': { type: 'string' }, seed: { type: 'string' }, augment: { type: 'boolean' }, 'batch-norm': { type: 'boolean' },
      dropout: { type: 'string' }, 'conv-dropout': { type: 'string' }, validation: { type: 'string' }, limit: { type: 'string' },
      'test-limit': { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, 'data-dir': { type: 'string' },
      photos: { type: 'string' }, 'partial-loss': { type: 'string' }, 'epoch-images': { type: 'string' }, 'with-photos': { type: 'boolean' }, 'photo-ratio': { type: 'string' }, 'photo-folds': { type: 'string' }, 'photo-fold': { type: 'string' },
      'photo-split-seed': { type: 'string' }, 'photo-balance': { type: 'string' }, 'photo-augment': { type: 'boolean' }, 'photo-cache': { type: 'string' },
      workers: { type: 'string' }, 'init-from': { type: 'string' }, 'label-smoothing': { type: 'string' }, 'shuffle-seed': { type: 'string' }, padding: { type: 'string' }, rotation: { type: 'string' }, flip: { type: 'string' }, shift: { type: 'string' },
      optimizer: { type: 'string' }, momentum: { type: 'string' }, 'weight-decay': { type: 'string' }, depth: { type: 'string' }, width: { type: 'string' }, erase: { type: 'string' }, resume: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail((err as Error).message);
}
const v = parsed.values;
if (v.help) {
  console.log(USAGE);
  process.exit(0);
}
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

const base = defaultRecipe(v.model as ModelKind);
const schedule = (v['lr-schedule'] ?? base.lrSchedule) as LrSchedule;
if (!LR_SCHEDULES.includes(schedule)) fail(`--lr-schedule must be one of ${LR_SCHEDULES.join(', ')}`);
const optimizer = (v.optimizer ?? base.optimizer ?? 'adam') as OptimizerName;
if (!OPTIMIZERS.includes(optimizer)) fail(`--optimizer must be one of ${OPTIMIZERS.join(', ')}`);
const padding = v.padding ?? base.padding;
if (padding !== 'valid' && padding !== 'same') fail('--padding must be valid or same');

/** --no-augment: none; --augment: the ±15° rotation/flip/shift preset; --rotation/--flip/--shift override either; else the model's default. */
function augmentation(): Recipe['augment'] {
  if (v.augment === false) return null;
  const preset = v.augment ? DEFAULT_AUGMENT : base.augment;
  if (!preset && !v.rotation && !v.flip && !v.shift && !v.erase) return null;
  const from = preset ?? { maxRotationDeg: 0, flipProbability: 0, maxShift: 0 };
  const erase = numberFlag(v.erase, 'erase', from.eraseProbability ?? 0, false);
  if (erase > 1) fail('--erase must be a probability (0 to 1)');
  return {
    maxRotationDeg: numberFlag(v.rotation, 'rotation', from.maxRotationDeg, false),
    flipProbability: numberFlag(v.flip, 'flip', from.flipProbability, false),
    maxShift: numberFlag(v.shift, 'shift', from.maxShift, false),
    ...(erase > 0 ? { eraseProbability: erase } : {}),
  };
}
const recipe: Recipe = checkpoint ? checkpoint.recipe : {
  ...base,
  epochs: numberFlag(v.epochs, 'epochs', base.epochs),
  batchSize: numberFlag(v['batch-size'], 'batch-size', base.batchSize),
  learningRate: numberFlag(v.lr, 'lr', base.learningRate, false),
  lrSchedule: schedule,
  seed: numberFlag(v.seed, 'seed', base.seed),
  augment: augmentation(),
  batchNorm: v['batch-norm'] ?? false,
  dropout: numberFlag(v.dropout, 'dropout', base.dropout, false),
  convDropout: numberFlag(v['conv-dropout'], 'conv-dropout', base.convDropout, false),
  padding,
  validationCount: numberFlag(v.validation, 'validation', base.validationCount),
  ...(v.limit ? { limit: numberFlag(v.limit, 'limit', 0) } : {}),
  ...(v['epoch-images'] ? { epochImages: numberFlag(v['epoch-images'], 'epoch-images', 0) } : {}),
  ...(v['shuffle-seed'] ? { shuffleSeed: numberFlag(v['shuffle-seed'], 'shuffle-seed', 0) } : {}),
  ...(v['label-smoothing'] ? { labelSmoothing: numberFlag(v['label-smoothing'], 'label-smoothing', 0, false) } : {}),
  ...(v['init-from'] ? { initFrom: v['init-from'] } : {}),
  ...(v.photos !== undefined || v['with-photos'] ? { photos: photoRecipe() } : {}),
  ...(v['partial-loss'] ? { partialLoss: partialLoss(v['partial-loss']) } : {}),
  optimizer,
  ...(optimizer === 'sgd' ? { momentum: numberFlag(v.momentum, 'momentum', base.momentum ?? DEFAULT_MOMENTUM, false) } : {}),
  ...(v['weight-decay'] || base.weightDecay ? { weightDecay: numberFlag(v['weight-decay'], 'weight-decay', base.weightDecay ?? 0, false) } : {}),
  ...(v.model === 'resnet' ? { depth: numberFlag(v.depth, 'depth', base.depth ?? 20), width: numberFlag(v.width, 'width', base.width ?? 16) } : {}),
};
if (recipe.model === 'resnet') {
  try {
    resnetBlocks(recipe.depth ?? 20);
  } catch (err) {
    fail(`--depth: ${(err as Error).message}`);
  }
  if ((recipe.width ?? 16) < 1) fail('--width must be at least 1');
} else if (v.depth || v.width) fail('--depth and --width apply to --model resnet');
if ((recipe.momentum ?? 0) >= 1) fail('--momentum must be below 1');

function partialLoss(value: string): PartialLoss {
  if (value !== 'sum' && value !== 'max') fail('--partial-loss must be sum or max');
  return value;
}

function photoBalance(value: string): 'none' | 'sqrt' {
  if (value !== 'none' && value !== 'sqrt') fail('--photo-balance must be none or sqrt');
  return value;
}

function photoRecipe(): PhotoRecipe {
  const folds = numberFlag(v['photo-folds'], 'photo-folds', 5);
  const fold = numberFlag(v['photo-fold'], 'photo-fold', 0);
  if (folds < 2 || fold >= folds) fail('--photo-folds must be at least 2 and --photo-fold below it');
  const ratio = numberFlag(v['photo-ratio'], 'photo-ratio', 0.25, false);
  if (ratio <= 0 || ratio >= 1) fail('--photo-ratio must be between 0 and 1');
  return {
    // Stored relative to the repository, so a run's recipe names no machine's absolute path.
    dir: relative(repoRoot(), v.photos ? userPath(v.photos) : resolvePhotoDir()),
    ratio,
    folds,
    fold,
    splitSeed: numberFlag(v['photo-split-seed'], 'photo-split-seed', 42),
    augment: v['photo-augment'] === false ? null : DEFAULT_PHOTO_AUGMENT,
    ...(v['photo-balance'] ? { balance: photoBalance(v['photo-balance']) } : {}),
  };
}
if (recipe.epochs < 1 || recipe.batchSize < 1) fail('--epochs and --batch-size must be at least 1');
if ((recipe.labelSmoothing ?? 0) >= 1) fail('--label-smoothing must be below 1');

// The wasm runtime rethrows uncaught errors with its whole minified source; print the message alone.
process.on('uncaughtException', (err) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const selection = await selectBackend(backend);
console.log(describeSelection(selection));
const workers = v.workers === undefined || v.workers === 'auto' ? (checkpoint?.workers ?? defaultWorkers(selection.used, recipe.model)) : numberFlag(v.workers, 'workers', 1);
if (checkpoint && workers !== checkpoint.workers) fail(`--resume: the run trained with ${checkpoint.workers} worker(s); the same count is needed to continue it exactly (--workers ${checkpoint.workers})`);
if (workers < 1) fail('--workers must be at least 1');
console.log(`workers: ${workers}`);
let initialWeights: Float32Array[] | undefined;
if (recipe.initFrom) {
  const source = await loadLayersModel(userPath(recipe.initFrom)).catch((err: unknown) => fail(`--init-from ${recipe.initFrom}: ${err instanceof Error ? err.message : String(err)}`));
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
const photos = recipe.photos ? await loadPhotoData(recipe.photos, resolvePhotoCacheDir(v['photo-cache']), console.log).catch((err: unknown) => fail(`--photos: ${err instanceof Error ? err.message : String(err)}`)) : undefined;
const dataDir = resolveDataDir(v['data-dir']);
const [train, test] = await Promise.all([loadSplit(dataDir, 'train'), loadSplit(dataDir, 'test')]);
const out = resumeDir ?? (v.out ? userPath(v.out) : join(repoRoot(), 'runs', `${recipe.model}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
if (checkpoint) console.log(`resuming ${out} after epoch ${checkpoint.epoch}/${recipe.epochs} (${(checkpoint.history.reduce((s, h) => s + h.seconds, 0) / 60).toFixed(1)} training minutes so far)`);
console.log(`data: ${dataDir} (${train.count} train, ${test.count} test) -> ${out}`);

// The bar draws only on a terminal; a log file gets one line per epoch instead.
const bar = new SingleBar({ format: 'epoch {epoch} {bar} {value}/{total} batches | ETA {eta}s | loss {loss} | acc {acc}', hideCursor: true });
const result = await trainRun(train, test, recipe, {
  out,
  backend: selection.used,
  workers,
  testLimit: v['test-limit'] ? numberFlag(v['test-limit'], 'test-limit', 0) : undefined,
  ...(initialWeights ? { initialWeights } : {}),
  ...(photos ? { photos } : {}),
  ...(checkpoint ? { resume: checkpoint } : {}),
  hooks: {
    onEpochStart: (epoch, batches) => bar.start(batches, 0, { epoch: `${epoch}/${recipe.epochs}`, loss: '-', acc: '-' }),
    onBatch: (b, loss, acc) => { if (b % 10 === 0) bar.update(b, { loss: loss.toFixed(4), acc: acc.toFixed(4) }); },
    onEpochEnd: (r) => {
      bar.stop();
      const photoVal = r.photoValAccuracy === undefined ? '' : ` | photo val ${r.photoValAccuracy.toFixed(4)}`;
      console.log(`epoch ${r.epoch}/${recipe.epochs}: loss ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(4)} | val loss ${r.valLoss.toFixed(4)} val acc ${r.valAccuracy.toFixed(4)}${photoVal} | ${r.seconds.toFixed(1)} s, ${r.imagesPerSecond.toFixed(0)} img/s`);
    },
  },
});
if (result.metrics.photos) {
  const p = result.metrics.photos;
  console.log(`photo validation: accept-top1 ${(100 * p.validation.acceptTop1).toFixed(2)}%, strict top-1 ${(100 * p.validation.strictTop1).toFixed(2)}%; temperature ${p.calibration.temperature.toFixed(3)}, ECE ${p.calibration.eceBefore.toFixed(3)} -> ${p.calibration.eceAfter.toFixed(3)}`);
}
console.log(`test accuracy ${(100 * result.metrics.accuracy).toFixed(2)}% (best epoch ${result.metrics.bestEpoch}); macro F1 ${(100 * result.metrics.macro.f1).toFixed(2)}%\nrun written to ${out}`);
