import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { learningRateAt } from '../src/lr-schedule.ts';
import { FlatAdam } from '../src/parallel/flat-adam.ts';
import { FlatSgd } from '../src/parallel/flat-optimizer.ts';
import type { FlatOptimizer } from '../src/parallel/flat-optimizer-interface.ts';
import { createRng } from '../src/random.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const cases: { name: string; flat: (p: Float32Array) => FlatOptimizer; tfjs: () => tf.Optimizer; rate: number; tiny: boolean }[] = [
  // Tiny entries too: Adam's normalized step is where float32 order shows.
  { name: 'FlatAdam as tf.train.adam', flat: (p) => new FlatAdam(p), tfjs: () => tf.train.adam(0.01), rate: 0.01, tiny: true },
  {
    name: 'FlatSgd as tf.train.momentum(rate, 0.9, nesterov)',
    flat: (p) => new FlatSgd(p, 0.9),
    tfjs: () => tf.train.momentum(0.1, 0.9, true),
    rate: 0.1,
    tiny: false,
  },
];

describe('flat optimizers', () => {
  it.each(cases)('$name: the same steps to the bit, with the mean of several gradient sums', ({ flat: makeFlat, tfjs, rate: base, tiny }) => {
    const rng = createRng(9);
    const n = 5000;
    const initial = Float32Array.from({ length: n }, () => rng() - 0.5);
    const variable = tf.variable(tf.tensor1d(initial));
    const optimizer = tfjs();
    const flat = makeFlat(Float32Array.from(initial));
    for (let step = 0; step < 6; step++) {
      // Two workers' sums over a batch of 32.
      const sums = [0, 1].map(() => Float32Array.from({ length: n }, (_, i) => (rng() - 0.5) * (tiny && i % 7 === 0 ? 1e-6 : 3)));
      const mean = new Float32Array(n);
      for (let i = 0; i < n; i++) mean[i] = Math.fround(Math.fround(sums[0]![i]! + sums[1]![i]!) / 32);
      const rate = base * (1 - step / 10);
      // AdamOptimizer reads its learningRate field on every step; MomentumOptimizer caches it, which setLearningRate updates.
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
      (optimizer as unknown as { setLearningRate?: (r: number) => void }).setLearningRate?.(rate);
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

  it.each(cases)('$name: a copy restored from state() continues identically', ({ flat: makeFlat }) => {
    const a = makeFlat(Float32Array.of(1, 2, 3));
    a.step([Float32Array.of(1, -1, 0.5)], 1, 0.1);
    const b = makeFlat(a.params.slice());
    b.restore(a.state());
    a.step([Float32Array.of(0.2, 0.3, -0.1)], 1, 0.1);
    b.step([Float32Array.of(0.2, 0.3, -0.1)], 1, 0.1);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });

  it('weight decay pulls decayed parameters toward 0 and leaves the others', () => {
    const flat = new FlatSgd(Float32Array.of(1, 1), 0, Float32Array.of(0.5, 0));
    flat.step([Float32Array.of(0, 0)], 1, 0.1);
    expect(Array.from(flat.params)).toEqual([Math.fround(1 - 0.1 * 0.5), 1]);
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
