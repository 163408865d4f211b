import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EpochRecord, Split } from '@fmnist/core';
import { evaluateView } from './model/evaluate.ts';
import { teacherLogits } from './model/teacher.ts';
import { buildRecipeModel, setWeightValues } from './model/recipe-model.ts';
import { gatherBatch, trainValidationViews } from './data/batches.ts';
import type { PhotoData } from './photos/photo-data.ts';
import { photoAcceptTop1, photoMixer } from './photos/mixer.ts';
import { CountingRng, shuffle } from './random.ts';
import type { Checkpoint } from './checkpoint.ts';
import { localStepper, parallelStepper } from './parallel/steppers.ts';
import { shuffleSeedOf, type Recipe } from './recipe.ts';
import { learningRateAt } from './lr-schedule.ts';
import { selectionScore } from './epoch-record.ts';

export interface FitHooks {
  /** The teacher's logits of the training images are ready (recipe.distill), after `seconds`. */
  onTeacherLogits?(images: number, seconds: number): void;
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
  /** The model of recipe.distill.from (only its logits are used, computed once here). */
  teacher?: tfl.LayersModel;
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
  if (recipe.distill && !options.teacher) throw new Error('the recipe distills from a teacher, but none was loaded');
  // The photo mixer's cursor is not part of a checkpoint.
  if (resume && recipe.photos) throw new Error('photo runs cannot be resumed; rerun them (they are short)');
  if (resume && resume.workers !== workers)
    throw new Error(`the checkpoint was written with ${resume.workers} worker(s); resume with --workers ${resume.workers}`);
  const model = buildRecipeModel(recipe);
  if (initialWeights) setWeightValues(model, initialWeights);
  const stepper = workers > 1 ? await parallelStepper(recipe, backend, workers, initialWeights, resume?.stepper) : localStepper(model, recipe, resume?.stepper);
  if (resume) mathRandom?.seek(resume.mathRandomDraws);
  const views = trainValidationViews(trainSplit, recipe.validationCount, recipe.seed, recipe.limit);
  const n = views.train.indices.length;
  // Recomputed on a resume too: the logits are a function of the teacher and the view, both fixed by the recipe.
  let teacher: Float32Array | undefined;
  if (recipe.distill && options.teacher) {
    const started = performance.now();
    teacher = teacherLogits(options.teacher, views.train);
    hooks.onTeacherLogits?.(n, (performance.now() - started) / 1000);
  }
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
  if (resume?.best)
    best = {
      epoch: resume.best.epoch,
      score: resume.best.score,
      weights: resume.best.weights.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[])),
    };
  if (resume) {
    // Each epoch shuffles the previous epoch's order in place, so the order itself is part of the state.
    if (resume.order.length !== n) throw new Error(`the checkpoint's batch order has ${resume.order.length} images, this run's training part ${n}`);
    order.set(resume.order);
    random.seek(resume.dataDraws);
  }
  const gather = (b: number) => {
    const base = gatherBatch(views.train, order, b * perBatch, Math.min(perEpoch, (b + 1) * perBatch), augment, teacher);
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
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        learningRate: lr,
        seconds,
        imagesPerSecond: seen / seconds,
      };
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
