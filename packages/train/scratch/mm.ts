import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function bench(name: string, f: () => tf.Tensor, flops: number) {
  for (let i = 0; i < 3; i++) f().dispose();
  const t0 = performance.now(); const N = 20;
  for (let i = 0; i < N; i++) { const r = f(); r.dataSync(); r.dispose(); }
  const ms = (performance.now() - t0) / N;
  console.log(name, ms.toFixed(2), 'ms', (flops / ms / 1e6).toFixed(1), 'GFLOP/s');
}
const M = 128, K = 784, N = 256;
const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
const at = tf.randomNormal([K, M]), bt = tf.randomNormal([N, K]);
bench('NN', () => tf.matMul(a, b), 2 * M * K * N);
bench('NT', () => tf.matMul(a, bt, false, true), 2 * M * K * N);
bench('TN', () => tf.matMul(at, b, true, false), 2 * M * K * N);
// dW shape: x^T dy
const x = tf.randomNormal([M, K]), dy = tf.randomNormal([M, N]);
bench('dW TN', () => tf.matMul(x, dy, true, false), 2 * M * K * N);
bench('dW via transpose+NN', () => tf.tidy(() => tf.matMul(tf.transpose(x), dy)), 2 * M * K * N);
const w = tf.randomNormal([K, N]);
bench('dX NT', () => tf.matMul(dy, w, false, true), 2 * M * K * N);
bench('dX via transpose+NN', () => tf.tidy(() => tf.matMul(dy, tf.transpose(w))), 2 * M * K * N);
const c = tf.randomNormal([1, 26, 26, 32]); const big = tf.randomNormal([128 * 121, 64]); const bigx = tf.randomNormal([128*121, 288]);
bench('conv2-filtergrad as TN', () => tf.matMul(bigx, big, true, false), 2*128*121*288*64);
bench('conv2-filtergrad as transpose+NN', () => tf.tidy(() => tf.matMul(tf.transpose(bigx), big)), 2*128*121*288*64);
const x2 = tf.randomNormal([128, 13, 13, 32]); const f2 = tf.randomNormal([3,3,32,64]);
bench('conv2 fwd', () => tf.conv2d(x2 as tf.Tensor4D, f2 as tf.Tensor4D, 1, 'valid'), 2*128*121*288*64);
// filter grad as conv
const xT = tf.randomNormal([32, 13, 13, 128]); const dyT = tf.randomNormal([11, 11, 128, 64]);
bench('conv2 filtergrad as conv', () => tf.conv2d(xT as tf.Tensor4D, dyT as tf.Tensor4D, 1, 'valid'), 2*128*121*288*64);
