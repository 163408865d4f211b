import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EpochRecord, Split } from '@fmnist/core';
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
import { CountingRng, shuffle } from './random.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { OptimizerName } from './parallel/flat-optimizer.ts';
import { localStepper, parallelStepper } from './parallel/steppers.ts';

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
}

/**
 * 'constant'; 'cosine' decays the rate per step to 0 over the run;
 * 'onecycle' rises linearly from rate/25 to the rate over the first
 * ONE_CYCLE_WARMUP of the steps, then follows a cosine to 0 (Smith's one
 * cycle as PyTorch's OneCycleLR shapes it, with a cosine annealing phase).
 */
export const LR_SCHEDULES = ['constant', 'cosine', 'onecycle'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
export const ONE_CYCLE_WARMUP = 0.15;
export const ONE_CYCLE_START_DIVISOR = 25;


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
export function buildRecipeModel(r: Recipe): tfl.LayersModel {
  return buildModel(r.model, { batchNorm: r.batchNorm, dropout: r.dropout, convDropout: r.convDropout, padding: r.padding, seed: r.seed, ...(r.depth ? { depth: r.depth } : {}), ...(r.width ? { width: r.width } : {}) });
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

export function learningRateAt(recipe: Pick<Recipe, 'learningRate' | 'lrSchedule'>, step: number, totalSteps: number): number {
  const peak = recipe.learningRate;
  const cosine = (from: number, span: number) => peak * 0.5 * (1 + Math.cos((Math.PI * from) / span));
  switch (recipe.lrSchedule) {
    case 'constant':
      return peak;
    case 'cosine':
      return cosine(step, totalSteps);
    case 'onecycle': {
      const warmup = Math.max(1, Math.round(ONE_CYCLE_WARMUP * totalSteps));
      if (step < warmup) return (peak / ONE_CYCLE_START_DIVISOR) + (peak - peak / ONE_CYCLE_START_DIVISOR) * (step / warmup);
      return cosine(step - warmup, totalSteps - warmup);
    }
  }
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
  /** Continue from this checkpoint (its recipe must be `recipe`). */
  resume?: Checkpoint;
  /** Called after every epoch with the state to continue from. */
  onCheckpoint?(checkpoint: Checkpoint): Promise<void>;
  /** The trainer's Math.random (see withSeededMathRandom), whose position a checkpoint records. */
  mathRandom?: CountingRng;
}

/** Fits a fresh model on the training split and returns it with the weights of its best validation epoch. */
export async function fit(trainSplit: Split, recipe: Recipe, options: FitOptions = {}): Promise<FitResult> {
  const { hooks = {}, workers = 1, backend = 'wasm', resume, mathRandom } = options;
  const initialWeights = resume?.weights ?? options.initialWeights;
  const photos = recipe.photos && options.photos ? { recipe: recipe.photos, data: options.photos } : undefined;
  if (recipe.photos && !options.photos) throw new Error('the recipe mixes in photos, but none were loaded');
  // The photo mixer's cursor is not part of a checkpoint.
  if (resume && recipe.photos) throw new Error('photo runs cannot be resumed; rerun them (they are short)');
  if (resume && resume.workers !== workers) throw new Error(`the checkpoint was written with ${resume.workers} worker(s); resume with --workers ${resume.workers}`);
  const model = buildRecipeModel(recipe);
  if (initialWeights) setWeightValues(model, initialWeights);
  const stepper = workers > 1 ? await parallelStepper(recipe, backend, workers, initialWeights, resume?.stepper) : localStepper(model, recipe, resume?.stepper);
  if (resume) mathRandom?.seek(resume.mathRandomDraws);
  const views = trainValidationViews(trainSplit, recipe.validationCount, recipe.seed, recipe.limit);
  const n = views.train.indices.length;
  const random = new CountingRng(shuffleSeedOf(recipe) + 1);
  const rng = random.next;
  const augment = recipe.augment ? { options: recipe.augment, rng } : undefined;
  const mixer = photos ? photoMixer(photos.data, photos.recipe, recipe.batchSize, rng) : undefined;
  const perBatch = recipe.batchSize - (mixer?.perBatch ?? 0);
  const perEpoch = Math.min(n, recipe.epochImages ?? n);
  const batches = Math.ceil(perEpoch / perBatch);
  const photoVal = photos ? photos.data.split.validation : [];
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const history: EpochRecord[] = resume ? [...resume.history] : [];
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | undefined;
  if (resume?.best) best = { epoch: resume.best.epoch, score: resume.best.score, weights: resume.best.weights.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[])) };
  if (resume) {
    // Each epoch shuffles the previous epoch's order in place, so the order itself is part of the state.
    if (resume.order.length !== n) throw new Error(`the checkpoint's batch order has ${resume.order.length} images, this run's training part ${n}`);
    order.set(resume.order);
    random.seek(resume.dataDraws);
  }
  const gather = (b: number) => {
    const base = gatherBatch(views.train, order, b * perBatch, Math.min(perEpoch, (b + 1) * perBatch), augment);
    return mixer ? mixer.append(base) : base;
  };

  try {
    for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= recipe.epochs; epoch++) {
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
      if (options.onCheckpoint) {
        await options.onCheckpoint({
          recipe,
          workers,
          epoch,
          history: [...history],
          weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
          stepper: await stepper.state(),
          order: order.slice(),
          dataDraws: random.draws,
          mathRandomDraws: mathRandom?.draws ?? 0,
          best: { epoch: best!.epoch, score: best!.score, weights: best!.weights.map((w) => w.dataSync() as Float32Array) },
        });
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
