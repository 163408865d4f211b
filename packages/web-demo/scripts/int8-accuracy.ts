/**
 * float32 vs int8 weights on the full Fashion-MNIST test set, with
 * onnxruntime-node: the measurement behind BROWSER_WEIGHTS (build/browser-models.ts).
 *
 *   FMNIST_DIR=../shared/fashion-mnist pnpm --filter @fmnist/web-demo int8-accuracy
 */
import { loadSplit, resolveDataDir, resolveModelsDir } from '@fmnist/core/node';
import { BROWSER_WEIGHTS, INT8_MAX_DROP_POINTS } from '../build/browser-models.ts';
import { variantAccuracy } from './variant-accuracy.ts';

const modelsDir = resolveModelsDir();
const split = await loadSplit(resolveDataDir(), 'test', { verify: false });
console.log(`| model | float32 accuracy | int8 accuracy | change | top-1 agreement | browser loads |`);
console.log(`|---|---:|---:|---:|---:|---|`);
for (const name of Object.keys(BROWSER_WEIGHTS)) {
  const r = await variantAccuracy(modelsDir, name, split);
  const ok = r.changePoints >= -INT8_MAX_DROP_POINTS;
  console.log(
    `| ${name} | ${r.float32.toFixed(2)}% | ${r.int8.toFixed(2)}% | ${r.changePoints >= 0 ? '+' : ''}${r.changePoints.toFixed(2)} pp | ${r.agreement} / ${r.count} | ${BROWSER_WEIGHTS[name]}${ok ? '' : ` (int8 loses more than ${INT8_MAX_DROP_POINTS} pp: use float32)`} |`,
  );
}
console.log(`\nonnxruntime-node (CPU), ${split.count} test images, models from ${modelsDir}.`);
