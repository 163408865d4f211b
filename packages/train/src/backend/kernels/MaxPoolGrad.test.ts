import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { GRAD_SCALE, maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm MaxPoolGrad matches the cpu backend', () => {
  const rng = createRng(13);
  // The first two take the unrolled 2x2/2 path (the second leaves a row and column over).
  it.each([
    [[3, 26, 26, 8], 2, 2, 'valid'],
    [[2, 11, 11, 5], 2, 2, 'valid'],
    [[2, 9, 7, 3], 3, 2, 'same'],
    [[1, 10, 10, 4], 3, 1, 'valid'],
    [[2, 8, 9, 2], 2, 3, 'same'],
  ] as const)('x=%j pool=%i stride=%i %s', async (shape, pool, stride, pad) => {
    const xv = randn(
      rng,
      shape.reduce((a: number, b: number) => a * b, 1),
    );
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros([...shape]) as tf.Tensor4D, pool, stride, pad).shape);
    const dyv = randn(
      rng,
      outShape.reduce((a, b) => a * b),
    ).map((v) => v * GRAD_SCALE);
    const g = await onBoth(() =>
      tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, pool, stride, pad))(tf.tensor4d(xv, [...shape]), tf.tensor(dyv, outShape)),
    );
    expect(maxAbsDiff(g.cpu, g.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
