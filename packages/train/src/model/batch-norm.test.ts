import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.ts';
import { fastBatchNormalization } from './batch-norm.ts';
import { createRng } from '../random.ts';

const rng = createRng(5);
const randn = (n: number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng()));

/** Gradients of sum(y * w) with respect to x, gamma and beta through a layer, plus its moving statistics after the step. */
function trainStep(layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor) {
  layer.apply(tf.zeros([1, ...x.shape.slice(1)]), {}); // build
  layer.setWeights([tf.tensor1d(randnFixed(x.shape.at(-1)!, 1)), tf.tensor1d(randnFixed(x.shape.at(-1)!, 2)), ...layer.getWeights().slice(2)]);
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, vars);
  const dx = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, w)))(x);
  return {
    dx: dx.dataSync(),
    dgamma: grads[vars[0]!.name]!.dataSync(),
    dbeta: grads[vars[1]!.name]!.dataSync(),
    moving: layer
      .getWeights()
      .slice(2)
      .map((t) => t.dataSync()),
  };
}
function randnFixed(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => 0.5 + r());
}
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('batch normalization with the fused training gradient', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    describe(backend, () => {
      beforeAll(async () => {
        await selectBackend(backend);
      });
      it.each([[[4, 6, 6, 5]], [[16, 7]]])('matches the stock layer on %j: dx, dgamma, dbeta and moving statistics', (shape) => {
        const x = tf.tensor(
          randn(shape.reduce((a, b) => a * b)).map((v) => 3 * v + 1),
          shape,
        );
        const w = tf.tensor(randn(x.size), shape);
        const fast = trainStep(fastBatchNormalization(), x, w);
        const stock = trainStep(tfl.layers.batchNormalization(), x, w);
        expect(maxAbs(fast.dx, stock.dx)).toBeLessThanOrEqual(1e-4);
        expect(maxAbs(fast.dgamma, stock.dgamma)).toBeLessThanOrEqual(1e-4);
        expect(maxAbs(fast.dbeta, stock.dbeta)).toBeLessThanOrEqual(1e-4);
        fast.moving.forEach((m, i) => expect(maxAbs(m, stock.moving[i]!)).toBeLessThanOrEqual(1e-5));
        // The step did move the statistics away from their initial 0 and 1.
        expect(Math.abs(fast.moving[0]![0]!)).toBeGreaterThan(1e-3);
      });
    });
  }

  it('serializes as a stock BatchNormalization layer', () => {
    expect(fastBatchNormalization().getClassName()).toBe('BatchNormalization');
  });
});
