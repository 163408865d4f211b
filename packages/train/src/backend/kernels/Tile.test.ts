import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Tile matches the cpu backend', () => {
  const rng = createRng(17);
  it.each([
    [
      [1, 1, 1, 5],
      [3, 4, 6, 1],
    ],
    [
      [1, 7],
      [5, 1],
    ],
    [
      [2, 3],
      [2, 2],
    ],
    [
      [1, 3, 1],
      [2, 1, 3],
    ],
  ] as const)('of %j by %j', async (shape, reps) => {
    const xv = randn(
      rng,
      shape.reduce((a: number, b: number) => a * b, 1),
    );
    const r = await onBoth(() => tf.tile(tf.tensor(xv, [...shape]), [...reps]));
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(0);
  });

  // How Tile is used in training: stock batch-norm gradients broadcast per-channel values (with Sum and Mean).
  it('in stock batch-norm training gradients (moments, broadcasting)', async () => {
    const xv = randn(rng, 6 * 5 * 5 * 4);
    const g = await onBoth(() =>
      tf.grad((x: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, tf.zeros([4]), tf.ones([4]), 1e-3), tf.range(0, 4)));
      })(tf.tensor4d(xv, [6, 5, 5, 4])),
    );
    expect(maxAbsDiff(g.cpu, g.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
