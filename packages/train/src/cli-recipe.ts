import { relative } from 'node:path';
import { repoRoot, resolvePhotoDir, userPath } from '@fmnist/core/node';
import type { Checkpoint } from './checkpoint.ts';
import { fail, numberFlag, type CliFlags } from './cli-flags.ts';
import { DEFAULT_AUGMENT } from './data/augment.ts';
import { LR_SCHEDULES, type LrSchedule } from './lr-schedule.ts';
import type { ModelKind } from '@fmnist/core';
import { resnetBlocks } from './model/architectures.ts';
import type { PartialLoss } from './model/loss.ts';
import { DEFAULT_MOMENTUM, OPTIMIZERS, type OptimizerName } from './parallel/flat-optimizer.ts';
import { DEFAULT_PHOTO_AUGMENT } from './photos/augment-photo.ts';
import type { PhotoRecipe } from './photos/photo-recipe.ts';
import { DEFAULT_DISTILL_TEMPERATURE, DEFAULT_DISTILL_WEIGHT, type DistillRecipe } from './model/teacher.ts';
import { defaultRecipe, type Recipe } from './recipe.ts';

/**
 * The run's recipe: the checkpoint's own under --resume, else the model's
 * default recipe with the flags applied. Exits with the usage on a bad flag.
 */
export function recipeFromFlags(v: CliFlags, checkpoint: Checkpoint | undefined): Recipe {
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
    if (!preset && !v.rotation && !v.flip && !v.shift && !v.erase && !v['pixel-drop']) return null;
    const from = preset ?? { maxRotationDeg: 0, flipProbability: 0, maxShift: 0 };
    const erase = numberFlag(v.erase, 'erase', from.eraseProbability ?? 0, false);
    if (erase > 1) fail('--erase must be a probability (0 to 1)');
    const pixelDrop = numberFlag(v['pixel-drop'], 'pixel-drop', from.pixelDrop ?? 0, false);
    if (pixelDrop >= 1) fail('--pixel-drop must be a share below 1');
    const pixelDropP = numberFlag(v['pixel-drop-p'], 'pixel-drop-p', from.pixelDropProbability ?? 1, false);
    if (pixelDropP > 1) fail('--pixel-drop-p must be a probability (0 to 1)');
    return {
      maxRotationDeg: numberFlag(v.rotation, 'rotation', from.maxRotationDeg, false),
      flipProbability: numberFlag(v.flip, 'flip', from.flipProbability, false),
      maxShift: numberFlag(v.shift, 'shift', from.maxShift, false),
      ...(erase > 0 ? { eraseProbability: erase } : {}),
      ...(pixelDrop > 0 ? { pixelDrop, ...(pixelDropP < 1 ? { pixelDropProbability: pixelDropP } : {}) } : {}),
    };
  }
  const recipe: Recipe = checkpoint
    ? checkpoint.recipe
    : {
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
        ...(v['distill-from'] !== undefined ? { distill: distillRecipe(v['distill-from']) } : {}),
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

  function distillRecipe(from: string): DistillRecipe {
    const weight = numberFlag(v['distill-weight'], 'distill-weight', DEFAULT_DISTILL_WEIGHT, false);
    if (weight > 1) fail('--distill-weight must be between 0 and 1');
    const temperature = numberFlag(v['distill-temperature'], 'distill-temperature', DEFAULT_DISTILL_TEMPERATURE, false);
    if (temperature <= 0) fail('--distill-temperature must be above 0');
    // Relative to the repository, as photos.dir: a --resume from another folder finds the teacher again.
    return { from: relative(repoRoot(), userPath(from)), weight, temperature };
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
  if (v['distill-from'] === undefined && (v['distill-weight'] !== undefined || v['distill-temperature'] !== undefined))
    fail('--distill-weight and --distill-temperature apply to --distill-from');
  if (recipe.epochs < 1 || recipe.batchSize < 1) fail('--epochs and --batch-size must be at least 1');
  if ((recipe.labelSmoothing ?? 0) >= 1) fail('--label-smoothing must be below 1');
  return recipe;
}
