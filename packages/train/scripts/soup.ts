/**
 * Writes a model soup (src/model/soup.ts) as a run directory that export and
 * ship take like any other: the weighted mean of the runs' weights, its
 * validation accuracy (on the split the runs share) beside each ingredient's,
 * and the test-set report.
 * `pnpm --filter @fmnist/train run soup --run runs/a:3 --run runs/b:3 --run models/cnn:1 --out runs/cnn-soup`
 * (RUN[:SHARE]; the shares are normalised, 1 when absent).
 */
import { parseArgs } from 'node:util';
import { loadSplit, requireRunMetrics, resolveDataDir, userPath } from '@fmnist/core/node';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.ts';
import { trainValidationViews, wholeView } from '../src/data/batches.ts';
import { loadLayersModel, saveLayersModel } from '../src/model/artifacts.ts';
import { evaluateView } from '../src/model/evaluate.ts';
import { forwardFlopsPerImage } from '../src/model/flops.ts';
import { averageWeights, checkSoupRecipes, SoupError, type SoupIngredient } from '../src/model/soup.ts';
import type { Recipe } from '../src/recipe.ts';
import { recipeLine, writeRunReport, type TrainRunMetrics } from '../src/report/run-report.ts';

const { values } = parseArgs({
  options: {
    run: { type: 'string', multiple: true },
    out: { type: 'string' },
    'data-dir': { type: 'string' },
    'test-limit': { type: 'string' },
  },
});
if (!values.run?.length || !values.out) throw new SoupError('usage: soup --run RUN_DIR[:SHARE] --run RUN_DIR[:SHARE] ... --out RUN_DIR');

const ingredients: SoupIngredient[] = values.run.map((given) => {
  const at = given.lastIndexOf(':');
  const weight = at > 0 ? Number(given.slice(at + 1)) : 1;
  return { run: at > 0 ? given.slice(0, at) : given, weight };
});
const runs = await Promise.all(ingredients.map(async (i) => ({ run: i.run, ...(await requireRunMetrics<Recipe>(userPath(i.run))) })));
checkSoupRecipes(runs);

await selectBackend('wasm');
const dataDir = resolveDataDir(values['data-dir']);
const [train, test] = await Promise.all([loadSplit(dataDir, 'train'), loadSplit(dataDir, 'test')]);
const recipe = runs[0]!.recipe;
const { validation } = trainValidationViews(train, recipe.validationCount, recipe.seed, recipe.limit);

const models = await Promise.all(ingredients.map((i) => loadLayersModel(userPath(i.run))));
models.forEach((m, k) => {
  ingredients[k]!.validationAccuracy = evaluateView(m, validation).accuracy;
});
const mean = averageWeights(
  models.map((m) => m.getWeights()),
  ingredients.map((i) => i.weight),
);
const soup = models[0]!;
soup.setWeights(mean);
tf.dispose(mean);

const validationAccuracy = evaluateView(soup, validation).accuracy;
const testLimit = values['test-limit'] ? Number(values['test-limit']) : undefined;
const metrics: TrainRunMetrics = {
  ...evaluateView(soup, wholeView(test, testLimit)),
  split: 'test',
  model: recipe.model,
  recipe: { ...recipe, soup: ingredients },
  backend: tf.getBackend(),
  bestEpoch: 0,
  validationAccuracy,
  trainSeconds: 0,
  trainImagesPerSecond: 0,
  createdAt: new Date().toISOString(),
  parameters: soup.countParams(),
  flopsPerImage: forwardFlopsPerImage(soup),
};
const out = userPath(values.out);
await saveLayersModel(soup, out);
await writeRunReport(out, metrics, { bestEpoch: 0, epochs: [] });
for (const i of ingredients) console.log(`${i.run}: validation ${(100 * i.validationAccuracy!).toFixed(2)}%`);
console.log(`${recipeLine(metrics.recipe)}\nsoup: validation ${(100 * validationAccuracy).toFixed(2)}% -> ${out}`);
