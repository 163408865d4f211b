import type { Split } from '@fmnist/core';
import { saveLayersModel } from './model/artifacts.ts';
import { evaluateView } from './model/evaluate.ts';
import { wholeView } from './data/batches.ts';
import { fit, shuffleSeedOf, type FitHooks, type Recipe } from './fit.ts';
import { withSeededMathRandom } from './random.ts';
import { writeRunReport, type RunMetrics } from './report/run-report.ts';

export interface RunOptions {
  out: string;
  backend: string;
  hooks?: FitHooks;
  workers?: number;
  testLimit?: number | undefined;
  /** Starting weights (fine-tuning); see fit(). */
  initialWeights?: Float32Array[];
}

/** One full run: seeded fit, test-set evaluation, model artifacts and the report, all into `out`. */
export async function trainRun(train: Split, test: Split, recipe: Recipe, options: RunOptions) {
  return withSeededMathRandom(shuffleSeedOf(recipe), async () => {
    const started = performance.now();
    const result = await fit(train, recipe, { hooks: options.hooks, workers: options.workers, backend: options.backend, ...(options.initialWeights ? { initialWeights: options.initialWeights } : {}) });
    const trainSeconds = result.history.reduce((s, h) => s + h.seconds, 0);
    const images = result.history.length * Math.min(recipe.limit ?? Infinity, train.count - Math.min(recipe.validationCount, Math.floor(train.count / 5)));
    const testMetrics = evaluateView(result.model, wholeView(test, options.testLimit));
    const best = result.history[result.bestEpoch - 1];
    const metrics: RunMetrics = {
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
    };
    await saveLayersModel(result.model, options.out);
    await writeRunReport(options.out, metrics, { bestEpoch: result.bestEpoch, epochs: result.history });
    return { ...result, metrics, seconds: (performance.now() - started) / 1000 };
  });
}
