/**
 * Milliseconds of the wasm BatchNormTrainingGrad kernel at the ResNet's shapes (a 64-image shard), min and median of 9 calls.
 * `npx tsx scripts/bench-bn-grad.ts`
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.ts';
await selectBackend('wasm');
for (const shape of [
  [64, 28, 28, 16],
  [64, 14, 14, 32],
  [64, 7, 7, 64],
]) {
  const c = shape[3]!;
  const x = tf.randomNormal(shape),
    dy = tf.randomNormal(shape),
    mean = tf.randomNormal([c]),
    invStd = tf.randomUniform([c], 0.5, 2),
    gamma = tf.randomNormal([c]);
  const run = () => tf.dispose(tf.engine().runKernel('BatchNormTrainingGrad', { x, dy, mean, invStd, gamma }, {}) as tf.Tensor[]);
  run();
  run();
  const t: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify(shape), 'min', t[0]!.toFixed(1), 'med', t[4]!.toFixed(1));
}
