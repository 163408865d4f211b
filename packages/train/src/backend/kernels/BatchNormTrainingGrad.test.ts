import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BN_GRAD_KERNEL, batchNormTrainingGradOps } from '../../model/batch-norm.ts';
import { createRng } from '../../random.ts';
import { GRAD_SCALE, maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm BatchNormTrainingGrad matches the tf-ops gradient on the cpu backend', () => {
  const rng = createRng(19);
  it.each([[[6, 5, 5, 4]], [[16, 7]]])('on %j: dx, dgamma and dbeta', async (shape) => {
    expect(tf.getKernel(BN_GRAD_KERNEL, 'wasm')).toBeDefined();
    expect(tf.getKernel(BN_GRAD_KERNEL, 'cpu')).toBeUndefined();
    const size = shape.reduce((a, b) => a * b);
    const c = shape.at(-1)!;
    const xv = randn(rng, size).map((v) => 3 * v + 1);
    const dyv = randn(rng, size).map((v) => v * GRAD_SCALE);
    const gammav = randn(rng, c);
    const names = ['dx', 'dgamma', 'dbeta'];
    for (let which = 0; which < 3; which++) {
      const r = await onBoth(() =>
        tf.tidy(() => {
          const x = tf.tensor(xv, shape);
          const { mean, variance } = tf.moments(
            x,
            shape.slice(0, -1).map((_, i) => i),
          );
          const invStd = tf.rsqrt(tf.add(variance, 1e-3));
          const inputs = { x, dy: tf.tensor(dyv, shape), mean, invStd, gamma: tf.tensor1d(gammav) };
          // Where the backend has the kernel (wasm) it runs; the cpu backend computes the closed form with tf ops.
          const outs = tf.getKernel(BN_GRAD_KERNEL, tf.getBackend())
            ? (tf.engine().runKernel(BN_GRAD_KERNEL, inputs, {}) as unknown as tf.Tensor[])
            : batchNormTrainingGradOps(inputs.x, inputs.dy, inputs.mean, inputs.invStd, inputs.gamma);
          return outs[which]!;
        }),
      );
      expect(maxAbsDiff(r.cpu, r.wasm), names[which]).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});
