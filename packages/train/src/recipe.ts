import type { ModelKind } from '@fmnist/core';
import type { ArchitectureOptions } from './model/architectures.ts';
import type { AugmentOptions } from './data/augment.ts';
import type { PhotoRecipe } from './photos/photo-recipe.ts';
import type { PartialLoss } from './model/loss.ts';
import type { DistillRecipe } from './model/teacher.ts';
import type { OptimizerName } from './parallel/flat-optimizer.ts';
import type { LrSchedule } from './lr-schedule.ts';
import type { SoupIngredient } from './model/soup.ts';

export interface Recipe {
  model: ModelKind;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** See LR_SCHEDULES and learningRateAt. */
  lrSchedule: LrSchedule;
  seed: number;
  /** Augmentation parameters, or null for none. */
  augment: AugmentOptions | null;
  batchNorm: boolean;
  dropout: number;
  convDropout: number;
  padding: ArchitectureOptions['padding'];
  /** Images held out of the training set to pick the best epoch. */
  validationCount: number;
  /** Train on the first N training images only (quick runs). */
  limit?: number;
  /**
   * Fashion-MNIST images per epoch, a fresh random draw from the whole
   * training part each epoch (absent: all of them). Photo fine-tuning uses
   * short epochs to validate often without narrowing what it rehearses.
   */
  epochImages?: number;
  /**
   * Seeds the batch order, augmentation and dropout masks (absent: `seed`,
   * which also picks the validation split and the initial weights). A
   * restart from a run's weights needs the same split but other batches.
   */
  shuffleSeed?: number;
  /** Label smoothing of the cross-entropy targets (absent = 0). */
  labelSmoothing?: number;
  /** How accept sets of several classes are scored (absent: 'sum'); see PartialLoss. */
  partialLoss?: PartialLoss;
  /** Run directory whose weights the model starts from (fine-tuning), as given on the command line. */
  initFrom?: string;
  /** Real photos mixed into every batch (the data itself comes through FitOptions.photos). */
  photos?: PhotoRecipe;
  /**
   * Distillation from a trained model (the model itself comes through
   * FitOptions.teacher): Fashion-MNIST rows also learn its softened logits,
   * so fine-tuning on photos keeps what it knew.
   */
  distill?: DistillRecipe;
  /** 'adam' (absent) or 'sgd' (Nesterov momentum). */
  optimizer?: OptimizerName;
  /** SGD momentum (absent: 0.9). */
  momentum?: number;
  /** Coupled L2 weight decay on kernels (absent: 0). */
  weightDecay?: number;
  /** ResNet depth (6n + 2; absent: 20). */
  depth?: number;
  /** ResNet first-stage channels (absent: 16). */
  width?: number;
  /**
   * A weight average of these runs (see model/soup.ts), not a trained run:
   * the other fields are the first ingredient's, each ingredient's own
   * recipe is in its metrics.json.
   */
  soup?: SoupIngredient[];
}

/**
 * The guide's recipe: 25 epochs of Adam at 0.001 (constant), dropout 0.3, no
 * batch norm, no augmentation. For the CNN, the dropout also follows each
 * conv block and the convolutions pad 'same': the plain CNN (valid padding,
 * dropout after the dense layer only) overfit and reached 91.58%, this one
 * 92.55% (docs/training.md). Flips and shifts cost more than they gave back
 * within 25 epochs (91.41%).
 */
export function defaultRecipe(model: ModelKind): Recipe {
  return {
    model,
    epochs: 25,
    batchSize: 128,
    learningRate: 0.001,
    lrSchedule: 'constant',
    seed: 42,
    augment: null,
    batchNorm: false,
    dropout: 0.3,
    convDropout: model === 'cnn' ? 0.3 : 0,
    padding: model === 'cnn' ? 'same' : 'valid',
    validationCount: 5000,
    ...(model === 'resnet' ? RESNET_RECIPE : {}),
  };
}

/**
 * The ResNet's short-schedule recipe: SGD with Nesterov momentum under a
 * one-cycle rate, weight decay, label smoothing, flips, padded random crops
 * (whole-pixel shifts) and random erasing: the usual recipe for fast
 * CIFAR-style ResNet training. A starting point: docs/training.md says
 * which settings were checked on validation.
 */
const RESNET_RECIPE: Partial<Recipe> = {
  epochs: 30,
  learningRate: 0.1,
  lrSchedule: 'onecycle',
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  augment: { maxRotationDeg: 0, flipProbability: 0.5, maxShift: 2, eraseProbability: 0.5 },
  batchNorm: true,
  dropout: 0,
  convDropout: 0,
  padding: 'same',
  depth: 20,
  width: 16,
};

/** The seed of the run's random streams (batch order, augmentation, dropout). */
export function shuffleSeedOf(r: Recipe): number {
  return r.shuffleSeed ?? r.seed;
}
