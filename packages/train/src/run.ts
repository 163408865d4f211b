import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '@fmnist/core';
import { saveLayersModel } from './model/artifacts.ts';
import { forwardFlopsPerImage } from './model/flops.ts';
import { evaluateView } from './model/evaluate.ts';
import { wholeView } from './data/batches.ts';
import { fit, type FitHooks } from './fit.ts';
import { shuffleSeedOf, type Recipe } from './recipe.ts';
import { CountingRng, mathRandomSeed, withSeededMathRandom } from './random.ts';
import { writeCheckpoint, type Checkpoint } from './checkpoint.ts';
import { writeRunReport, type TrainRunMetrics } from './report/run-report.ts';
import type { PhotoData } from './photos/photo-data.ts';
import { photoRunFigures } from './photos/photo-report.ts';

export interface RunOptions {
  out: string;
  backend: string;
  hooks?: FitHooks;
  workers?: number;
  /** Evaluate on the first N test images only; absent: the resumed checkpoint's, else all. */
  testLimit?: number | undefined;
  /** Starting weights (fine-tuning); see fit(). */
  initialWeights?: Float32Array[];
  /** The photos of recipe.photos, loaded and split; see fit(). */
  photos?: PhotoData;
  /** The model of recipe.distill.from; see fit(). */
  teacher?: tfl.LayersModel;
  /** Continue from this checkpoint (read from `out`); see fit(). */
  resume?: Checkpoint;
  /** Write a checkpoint into `out` after every epoch (default true). */
  checkpoints?: boolean;
}

/**
 * One full run: seeded fit, test-set evaluation, model artifacts and the
 * report, all into `out`, with a checkpoint in `out/checkpoint` after every
 * epoch. Training seconds are the epochs' own, so a resumed run counts the
 * epochs of every session (an epoch cut short by the interruption is lost
 * and not counted).
 */
export async function trainRun(train: Split, test: Split, recipe: Recipe, options: RunOptions) {
  const mathRandom = new CountingRng(mathRandomSeed(shuffleSeedOf(recipe)));
  return withSeededMathRandom(mathRandom, async () => {
    const started = performance.now();
    const { hooks, workers, backend, initialWeights, photos, teacher, resume } = options;
    const testLimit = options.testLimit ?? resume?.testLimit;
    const onCheckpoint = options.checkpoints === false ? undefined : (c: Checkpoint) => writeCheckpoint(options.out, { ...c, testLimit });
    const result = await fit(train, recipe, {
      hooks,
      workers,
      backend,
      mathRandom,
      ...(initialWeights ? { initialWeights } : {}),
      ...(photos ? { photos } : {}),
      ...(teacher ? { teacher } : {}),
      ...(resume ? { resume } : {}),
      ...(onCheckpoint ? { onCheckpoint } : {}),
    });
    const trainSeconds = result.history.reduce((s, h) => s + h.seconds, 0);
    const images = result.history.reduce((s, h) => s + h.imagesPerSecond * h.seconds, 0);
    const testMetrics = evaluateView(result.model, wholeView(test, testLimit));
    const best = result.history[result.bestEpoch - 1];
    const metrics: TrainRunMetrics = {
      ...testMetrics,
      split: 'test',
      model: recipe.model,
      recipe,
      backend: options.backend,
      bestEpoch: result.bestEpoch,
      validationAccuracy: best?.valAccuracy ?? 0,
      trainSeconds,
      trainImagesPerSecond: images / trainSeconds,
      createdAt: new Date().toISOString(),
      parameters: result.model.countParams(),
      flopsPerImage: forwardFlopsPerImage(result.model),
      ...(photos && recipe.photos ? { photos: photoRunFigures(result.model, photos, recipe.photos) } : {}),
    };
    await saveLayersModel(result.model, options.out);
    await writeRunReport(options.out, metrics, { bestEpoch: result.bestEpoch, epochs: result.history });
    return { ...result, metrics, seconds: (performance.now() - started) / 1000 };
  });
}
