import { parseArgs } from 'node:util';
import { loadSplit, resolveDataDir, userPath, requireRunMetrics } from '@fmnist/core/node';
import type { Recipe } from '../src/recipe.ts';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.ts';
import { trainValidationViews } from '../src/data/batches.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { evaluateView } from '../src/model/evaluate.ts';
import { resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { loadPhotoData } from '../src/photos/load-photos.ts';
import { photoRunFigures } from '../src/photos/photo-report.ts';

const { values: v } = parseArgs({
  options: {
    base: { type: 'string' },
    tuned: { type: 'string' },
    alphas: { type: 'string', default: '0,0.25,0.5,0.6,0.7,0.8,0.9,1' },
    'data-dir': { type: 'string' },
  },
});
if (!v.base || !v.tuned) throw new Error('usage: interpolate --base RUN_DIR --tuned RUN_DIR [--alphas LIST]');
const metrics = await requireRunMetrics<Recipe>(userPath(v.tuned));
if (!metrics.recipe.photos) throw new Error(`${v.tuned} is not a photo run`);
await selectBackend('wasm');
const [base, tuned, mixed] = await Promise.all([loadLayersModel(userPath(v.base)), loadLayersModel(userPath(v.tuned)), loadLayersModel(userPath(v.tuned))]);
const train = await loadSplit(resolveDataDir(v['data-dir']), 'train');
const { validation } = trainValidationViews(train, metrics.recipe.validationCount, metrics.recipe.seed, metrics.recipe.limit);
const photos = await loadPhotoData(metrics.recipe.photos, resolvePhotoCacheDir());
const bw = base.getWeights();
const tw = tuned.getWeights();
if (bw.length !== tw.length || bw.some((w, i) => w.shape.join() !== tw[i]!.shape.join())) throw new Error('the two models differ in architecture');
console.log('| a | Fashion-MNIST validation | photo validation accept-top1 | mean |\n|---:|---:|---:|---:|');
for (const a of v.alphas!.split(',').map(Number)) {
  const ws = bw.map((w, i) => tf.tidy(() => tf.add(tf.mul(w, 1 - a), tf.mul(tw[i]!, a))));
  mixed.setWeights(ws);
  tf.dispose(ws);
  const fm = evaluateView(mixed, validation).accuracy;
  const ph = photoRunFigures(mixed, photos, metrics.recipe.photos).validation.acceptTop1;
  console.log(`| ${a} | ${(100 * fm).toFixed(2)}% | ${(100 * ph).toFixed(2)}% | ${(50 * (fm + ph)).toFixed(2)}% |`);
}
