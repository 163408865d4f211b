import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { learningRateAt } from '../src/fit.ts';
import { FlatSgd } from '../src/parallel/flat-optimizer.ts';
import { createRng } from '../src/random.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('FlatSgd', () => {
  it('takes the same steps as tf.train.momentum(rate, 0.9, nesterov), to the bit', () => {
    const rng = createRng(4);
    const n = 4000;
    const initial = Float32Array.from({ length: n }, () => rng() - 0.5);
    const variable = tf.variable(tf.tensor1d(initial));
    const optimizer = tf.train.momentum(0.1, 0.9, true);
    const flat = new FlatSgd(Float32Array.from(initial), 0.9);
    for (let step = 0; step < 6; step++) {
      const sums = [0, 1].map(() => Float32Array.from({ length: n }, () => (rng() - 0.5) * 3));
      const mean = new Float32Array(n);
      for (let i = 0; i < n; i++) mean[i] = Math.fround(Math.fround(sums[0]![i]! + sums[1]![i]!) / 32);
      const rate = 0.1 * (1 - step / 10);
      optimizer.setLearningRate(rate);
      const grad = tf.tensor1d(mean);
      optimizer.applyGradients([{ name: variable.name, tensor: grad }]);
      grad.dispose();
      flat.step(sums, 32, rate);
    }
    const expected = variable.dataSync();
    let differing = 0;
    for (let i = 0; i < n; i++) if (expected[i] !== flat.params[i]) differing++;
    expect(differing).toBe(0);
    expect(Math.abs(flat.params[0]! - initial[0]!)).toBeGreaterThan(1e-3);
  });

  it('weight decay pulls decayed parameters toward 0 and leaves the others', () => {
    const flat = new FlatSgd(Float32Array.of(1, 1), 0, Float32Array.of(0.5, 0));
    flat.step([Float32Array.of(0, 0)], 1, 0.1);
    expect(Array.from(flat.params)).toEqual([Math.fround(1 - 0.1 * 0.5), 1]);
  });

  it('restores its momentum from state(): a restored copy continues identically', () => {
    const a = new FlatSgd(Float32Array.of(1, 2, 3));
    a.step([Float32Array.of(1, -1, 0.5)], 1, 0.1);
    const b = new FlatSgd(a.params.slice());
    b.restore(a.state());
    a.step([Float32Array.of(0.2, 0.3, -0.1)], 1, 0.1);
    b.step([Float32Array.of(0.2, 0.3, -0.1)], 1, 0.1);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });
});

describe('learning-rate schedules', () => {
  it('one-cycle rises from rate/25 to the rate over the first 15% of the steps, then anneals to 0 by a cosine', () => {
    const r = { learningRate: 0.1, lrSchedule: 'onecycle' as const };
    expect(learningRateAt(r, 0, 1000)).toBeCloseTo(0.004, 10);
    expect(learningRateAt(r, 150, 1000)).toBeCloseTo(0.1, 10);
    expect(learningRateAt(r, 75, 1000)).toBeCloseTo(0.052, 10);
    expect(learningRateAt(r, 575, 1000)).toBeCloseTo(0.05, 10);
    expect(learningRateAt(r, 999, 1000)).toBeLessThan(1e-5);
  });
});
