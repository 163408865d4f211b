import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES, type Split } from '@fmnist/core';
import { buildModel, type ModelKind } from './model/architectures.ts';
import { evaluateView } from './model/evaluate.ts';
import { DEFAULT_AUGMENT, type AugmentOptions } from './data/augment.ts';
import { gatherBatch, trainValidationViews } from './data/batches.ts';
import { createRng, shuffle } from './random.ts';

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
  /** Images held out of the training set to pick the best epoch. */
  validationCount: number;
  /** Train on the first N training images only (quick runs). */
  limit?: number;
}

/** The guide's recipe: 25 epochs of Adam at 0.001, dropout 0.3, no augmentation, no batch norm. */
export function defaultRecipe(model: ModelKind): Recipe {
  return { model, epochs: 25, batchSize: 128, learningRate: 0.001, lrSchedule: 'constant', seed: 42, augment: null, batchNorm: false, dropout: 0.3, convDropout: 0, validationCount: 5000 };
}

export { DEFAULT_AUGMENT };

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
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

/** Fits a fresh model on the training split and returns it with the weights of its best validation epoch. */
export function fit(trainSplit: Split, recipe: Recipe, hooks: FitHooks = {}): FitResult {
  const model = buildModel(recipe.model, { batchNorm: recipe.batchNorm, dropout: recipe.dropout, convDropout: recipe.convDropout, seed: recipe.seed });
  const optimizer = tf.train.adam(recipe.learningRate);
  // AdamOptimizer reads this field on every step; tfjs marks it protected, with no setter.
  const setRate = (lr: number) => ((optimizer as unknown as { learningRate: number }).learningRate = lr);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const views = trainValidationViews(trainSplit, recipe.validationCount, recipe.seed, recipe.limit);
  const n = views.train.indices.length;
  const batches = Math.ceil(n / recipe.batchSize);
  const rng = createRng(recipe.seed + 1);
  const augment = recipe.augment ? { options: recipe.augment, rng } : undefined;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const history: EpochRecord[] = [];
  let best: { epoch: number; accuracy: number; weights: tf.Tensor[] } | undefined;

  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    hooks.onEpochStart?.(epoch, batches);
    shuffle(order, rng);
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let lr = recipe.learningRate;
    for (let b = 0; b < batches; b++) {
      lr = learningRateAt(recipe, (epoch - 1) * batches + b, recipe.epochs * batches);
      setRate(lr);
      const batch = gatherBatch(views.train, order, b * recipe.batchSize, Math.min(n, (b + 1) * recipe.batchSize), augment);
      let hits: tf.Scalar | undefined;
      const loss = optimizer.minimize(
        () => {
          const x = tf.tensor4d(batch.x, [batch.size, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
          const labels = tf.tensor1d(batch.labels, 'int32');
          const logits = model.apply(x, { training: true }) as tf.Tensor2D;
          hits = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits);
        },
        true,
        variables,
      )!;
      const batchLoss = loss.dataSync()[0]!;
      const batchHits = hits!.dataSync()[0]!;
      loss.dispose();
      hits!.dispose();
      lossSum += batchLoss * batch.size;
      correct += batchHits;
      hooks.onBatch?.(b + 1, lossSum / Math.min(n, (b + 1) * recipe.batchSize), correct / Math.min(n, (b + 1) * recipe.batchSize));
    }
    const seconds = (performance.now() - started) / 1000;
    const val = evaluateView(model, views.validation);
    const record: EpochRecord = { epoch, loss: lossSum / n, accuracy: correct / n, valLoss: val.loss, valAccuracy: val.accuracy, learningRate: lr, seconds, imagesPerSecond: n / seconds };
    history.push(record);
    hooks.onEpochEnd?.(record);
    if (!best || val.accuracy > best.accuracy) {
      best?.weights.forEach((w) => w.dispose());
      best = { epoch, accuracy: val.accuracy, weights: model.getWeights().map((w) => w.clone()) };
    }
  }
  if (best) {
    model.setWeights(best.weights);
    best.weights.forEach((w) => w.dispose());
  }
  optimizer.dispose();
  return { model, history, bestEpoch: best?.epoch ?? 0 };
}
