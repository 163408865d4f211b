import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { FlatAdam } from '../src/parallel/flat-adam.ts';
import { createRng } from '../src/random.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('FlatAdam', () => {
  it('takes the same steps as tf.train.adam, to the bit, with the mean of several gradient sums', () => {
    const rng = createRng(9);
    const n = 5000;
    const initial = Float32Array.from({ length: n }, () => rng() - 0.5);
    const variable = tf.variable(tf.tensor1d(initial));
    const optimizer = tf.train.adam(0.01);
    const flat = new FlatAdam(Float32Array.from(initial));
    for (let step = 0; step < 6; step++) {
      // Two workers' sums over a batch of 32, with tiny and large entries alike.
      const sums = [0, 1].map(() => Float32Array.from({ length: n }, (_, i) => (rng() - 0.5) * (i % 7 === 0 ? 1e-6 : 3)));
      const mean = new Float32Array(n);
      for (let i = 0; i < n; i++) mean[i] = Math.fround(Math.fround(sums[0]![i]! + sums[1]![i]!) / 32);
      const rate = 0.01 * (1 - step / 10);
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
      const grad = tf.tensor1d(mean);
      optimizer.applyGradients([{ name: variable.name, tensor: grad }]);
      grad.dispose();
      flat.step(sums, 32, rate);
    }
    const expected = variable.dataSync();
    let differing = 0;
    for (let i = 0; i < n; i++) if (expected[i] !== flat.params[i]) differing++;
    expect(differing).toBe(0);
    // And it moved: each step is about the learning rate, in the direction of its random gradient.
    expect(Math.abs(flat.params[1]! - initial[1]!)).toBeGreaterThan(1e-3);
  });
});
