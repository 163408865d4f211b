/**
 * Milliseconds of the wasm convolution kernels at the ResNet's shapes (batch
 * 64, one worker's shard of 128): the forward conv, the input gradient and
 * the filter gradient, median of 5 calls after 2 warm-up calls.
 * `npx tsx scripts/bench-kernels.ts`
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.ts';

await selectBackend('wasm');
const shapes: { x: [number, number, number, number]; k: number; out: number; stride: number }[] = [
  { x: [64, 28, 28, 16], k: 3, out: 16, stride: 1 },
  { x: [64, 14, 14, 32], k: 3, out: 32, stride: 1 },
  { x: [64, 7, 7, 64], k: 3, out: 64, stride: 1 },
  { x: [64, 28, 28, 16], k: 3, out: 32, stride: 2 },
  { x: [64, 28, 28, 16], k: 1, out: 32, stride: 2 },
  { x: [64, 14, 14, 32], k: 1, out: 64, stride: 2 },
];

function median(run: () => void): number {
  run();
  run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2]!;
}

console.log('shape | forward | input gradient | filter gradient (ms)');
for (const { x: xs, k, out, stride } of shapes) {
  const filterShape: [number, number, number, number] = [k, k, xs[3], out];
  const x = tf.randomNormal(xs) as tf.Tensor4D;
  const w = tf.randomNormal(filterShape) as tf.Tensor4D;
  const o = Math.ceil(xs[1] / stride);
  const dy = tf.randomNormal([xs[0], o, o, out]) as tf.Tensor4D;
  const attrs = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC' };
  const forward = median(() => tf.tidy(() => tf.conv2d(x, w, stride, 'same')).dispose());
  const input = median(() => (tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs }) as tf.Tensor).dispose());
  const filter = median(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape }) as tf.Tensor).dispose());
  console.log(`x [${xs}] ${k}x${k}/${stride} -> ${out} | ${forward.toFixed(1)} | ${input.toFixed(1)} | ${filter.toFixed(1)}`);
  tf.dispose([x, w, dy]);
}
