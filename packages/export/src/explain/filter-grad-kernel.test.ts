import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients (see reference.ts)
import { beforeAll, describe, expect, it } from 'vitest';
import { rng, uniform } from '../../test/helpers.ts';
import { useCpuBackend } from '../tfjs.ts';
import { withFastFilterGradient } from './filter-grad-kernel.ts';

beforeAll(useCpuBackend);

describe('fast Conv2DBackpropFilter', () => {
  it.each([
    [[1, 1], 'same'],
    [[2, 2], 'valid'],
    [[2, 1], 'same'],
  ] as const)('equals the stock cpu kernel (strides %j, padding %s)', (strides, padding) => {
    const next = rng(5);
    const x = tf.tensor4d(uniform(2 * 7 * 6 * 3, -1, 1, next), [2, 7, 6, 3]);
    const filter = tf.tensor4d(uniform(3 * 3 * 3 * 4, -1, 1, next), [3, 3, 3, 4]);
    const filterGradient = () => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, [...strides], padding), tf.range(1, 2, 1))))(filter);
    const stock = filterGradient().dataSync();
    const fast = withFastFilterGradient(() => filterGradient().dataSync());
    let worst = 0;
    for (let i = 0; i < stock.length; i++) worst = Math.max(worst, Math.abs(stock[i]! - fast[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...stock.map(Math.abs))).toBeGreaterThan(0.1); // a real gradient, not zeros on both sides
  });

  it('restores the stock kernel afterwards, also when the function throws', () => {
    const before = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    expect(() =>
      withFastFilterGradient(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(before);
  });
});
