import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '@fmnist/core';
import { buildModel, type ArchitectureOptions, type ModelKind } from './model/architectures.ts';
import { evaluateView } from './model/evaluate.ts';
import { DEFAULT_AUGMENT, type AugmentOptions } from './data/augment.ts';
import { gatherBatch, trainValidationViews } from './data/batches.ts';
import type { PhotoData } from './photos/photo-data.ts';
import { photoAcceptTop1, photoMixer } from './photos/mixer.ts';

export { photoAcceptTop1 };
export type { PhotoRecipe };
import type { PhotoRecipe } from './photos/photo-recipe.ts';
import type { PartialLoss } from './model/loss.ts';
import { createRng, shuffle } from './random.ts';
import { localStepper, parallelStepper } from './parallel/steppers.ts';

export interface Recipe {
  model: ModelKind;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** 'cosine' decays the rate per step to 0 over the run. */
  lrSchedule: 'constant' | 'cosine';
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
}


/**
 * The epoch kept is the one with the best mean of Fashion-MNIST validation
 * accuracy and photo validation accept-top1: both matter to users, equally,
 * and neither set is large enough to rank epochs alone without noise.
 */
export function selectionScore(record: Pick<EpochRecord, 'valAccuracy' | 'photoValAccuracy'>): number {
  return record.photoValAccuracy === undefined ? record.valAccuracy : (record.valAccuracy + record.photoValAccuracy) / 2;
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
  };
}

export { DEFAULT_AUGMENT };

/** The seed of the run's random streams (batch order, augmentation, dropout). */
export function shuffleSeedOf(r: Recipe): number {
  return r.shuffleSeed ?? r.seed;
}

/** Sets every weight of `model` (model.weights order); the shapes must match, or it throws naming the first that does not. */
export function setWeightValues(model: tfl.LayersModel, values: Float32Array[]): void {
  if (values.length !== model.weights.length) throw new Error(`the starting weights hold ${values.length} tensors; this recipe's ${model.name} has ${model.weights.length}`);
  const tensors = model.weights.map((w, i) => {
    const size = w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
    if (values[i]!.length !== size) throw new Error(`starting weight ${i} (${w.name}) has ${values[i]!.length} values; this recipe's model needs [${w.shape}]`);
    return tf.tensor(values[i]!, w.shape as number[]);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** The recipe's model, built the same way in the trainer and in every gradient worker. */
export function buildRecipeModel(r: Recipe): tfl.Sequential {
  return buildModel(r.model, { batchNorm: r.batchNorm, dropout: r.dropout, convDropout: r.convDropout, padding: r.padding, seed: r.seed });
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
  /** Photo validation accept-top1 (photo runs). */
  photoValAccuracy?: number;
}

export interface FitHooks {
  onEpochStart?(epoch: number, batches: number): void;
  onBatch?(batch: number, loss: number, accuracy: number): void;
  onEpochEnd?(record: EpochRecord): void;
}

export interface FitResult {
  model: tfl.LayersModel;
  history: EpochRecord[];
  /** 1-based epoch whose weights the returned model holds (best validation accuracy). */
  bestEpoch: number;
}

function learningRateAt(recipe: Recipe, step: number, totalSteps: number): number {
  if (recipe.lrSchedule === 'constant') return recipe.learningRate;
  return recipe.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
}

export interface FitOptions {
  hooks?: FitHooks;
  /** Gradient workers (one wasm replica per core); 1 trains in this thread. */
  workers?: number;
  /** The active backend, handed to the workers. */
  backend?: string;
  /** Starting weights (all of them, in model.weights order) instead of the seeded initialization. */
  initialWeights?: Float32Array[];
  /** The photos of recipe.photos, loaded and split. */
  photos?: PhotoData;
}

/** Fits a fresh model on the training split and returns it with the weights of its best validation epoch. */
export async function fit(trainSplit: Split, recipe: Recipe, options: FitOptions = {}): Promise<FitResult> {
  const { hooks = {}, workers = 1, backend = 'wasm', initialWeights } = options;
  const photos = recipe.photos && options.photos ? { recipe: recipe.photos, data: options.photos } : undefined;
  if (recipe.photos && !options.photos) throw new Error('the recipe mixes in photos, but none were loaded');
  const model = buildRecipeModel(recipe);
  if (initialWeights) setWeightValues(model, initialWeights);
  const stepper = workers > 1 ? await parallelStepper(recipe, backend, workers, initialWeights) : localStepper(model, recipe);
  const views = trainValidationViews(trainSplit, recipe.validationCount, recipe.seed, recipe.limit);
  const n = views.train.indices.length;
  const rng = createRng(shuffleSeedOf(recipe) + 1);
  const augment = recipe.augment ? { options: recipe.augment, rng } : undefined;
  const mixer = photos ? photoMixer(photos.data, photos.recipe, recipe.batchSize, rng) : undefined;
  const perBatch = recipe.batchSize - (mixer?.perBatch ?? 0);
  const perEpoch = Math.min(n, recipe.epochImages ?? n);
  const batches = Math.ceil(perEpoch / perBatch);
  const photoVal = photos ? photos.data.split.validation : [];
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const history: EpochRecord[] = [];
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | undefined;
  const gather = (b: number) => {
    const base = gatherBatch(views.train, order, b * perBatch, Math.min(perEpoch, (b + 1) * perBatch), augment);
    return mixer ? mixer.append(base) : base;
  };

  try {
    for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
      hooks.onEpochStart?.(epoch, batches);
      shuffle(order, rng);
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = recipe.learningRate;
      let next = gather(0);
      for (let b = 0; b < batches; b++) {
        lr = learningRateAt(recipe, (epoch - 1) * batches + b, recipe.epochs * batches);
        const batch = next;
        const running = stepper.step(batch, lr);
        // Prepare the next batch while the step runs (in workers, when there are any).
        if (b + 1 < batches) next = gather(b + 1);
        const { lossSum: l, hits } = await running;
        lossSum += l;
        correct += hits;
        seen += batch.size;
        hooks.onBatch?.(b + 1, lossSum / seen, correct / seen);
      }
      await stepper.sync(model);
      const seconds = (performance.now() - started) / 1000;
      const val = evaluateView(model, views.validation);
      const record: EpochRecord = { epoch, loss: lossSum / seen, accuracy: correct / seen, valLoss: val.loss, valAccuracy: val.accuracy, learningRate: lr, seconds, imagesPerSecond: seen / seconds };
      if (photos) record.photoValAccuracy = photoAcceptTop1(model, photos.data, photoVal);
      history.push(record);
      hooks.onEpochEnd?.(record);
      const score = selectionScore(record);
      if (!best || score > best.score) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, score, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
  } finally {
    await stepper.dispose();
  }
  if (best) {
    model.setWeights(best.weights);
    best.weights.forEach((w) => w.dispose());
  }
  return { model, history, bestEpoch: best?.epoch ?? 0 };
}
