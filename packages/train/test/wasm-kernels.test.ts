import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { createRng } from '../src/random.ts';

// Every replaced kernel is checked against tfjs' reference cpu backend on
// seeded random shapes, strides and paddings, through the public gradient API.
// Inputs are N(0, 1); output gradients N(0, 0.1^2), the order of magnitude
// they have in training, so that float32 summation-order noise in sums of
// thousands of terms stays well inside the tolerance.
const TOLERANCE = 1e-4;
const GRAD_SCALE = 0.1;

function randn(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng());
  return out;
}

async function onBoth(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const run = async (name: string) => {
    await tf.setBackend(name);
    const t = fn();
    const data = t.dataSync() as Float32Array;
    t.dispose();
    return data;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  outChannels: number;
  stride: number;
  pad: 'valid' | 'same';
}

function convCases(count: number): ConvCase[] {
  const rng = createRng(7);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const cases: ConvCase[] = [
    // The CNN's own layers (batch reduced).
    { x: [4, 28, 28, 1], k: [3, 3], outChannels: 32, stride: 1, pad: 'valid' },
    { x: [4, 13, 13, 32], k: [3, 3], outChannels: 64, stride: 1, pad: 'valid' },
    // The ResNet's: a block's 3x3 conv, a stage's strided 3x3 conv (TF's asymmetric 'same' pads) and its 1x1 projection.
    { x: [2, 28, 28, 16], k: [3, 3], outChannels: 16, stride: 1, pad: 'same' },
    { x: [2, 28, 28, 16], k: [3, 3], outChannels: 32, stride: 2, pad: 'same' },
    { x: [2, 28, 28, 16], k: [1, 1], outChannels: 32, stride: 2, pad: 'same' },
    { x: [2, 14, 14, 32], k: [1, 1], outChannels: 64, stride: 2, pad: 'same' },
  ];
  for (let i = 0; i < count; i++) {
    const k: [number, number] = [int(1, 5), int(1, 5)];
    const stride = int(1, 3);
    cases.push({ x: [int(1, 4), int(k[0] + 1, 14), int(k[1] + 1, 14), int(1, 12)], k, outChannels: int(1, 9), stride, pad: rng() < 0.5 ? 'valid' : 'same' });
  }
  return cases;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('wasm training kernels match the cpu backend', () => {
  const rng = createRng(11);
  for (const c of convCases(14)) {
    const name = `conv x=${c.x} k=${c.k} out=${c.outChannels} stride=${c.stride} ${c.pad}`;
    it(`${name}: Conv2DBackpropFilter and Conv2DBackpropInput`, async () => {
      const xv = randn(rng, c.x.reduce((a, b) => a * b));
      const wv = randn(rng, c.k[0] * c.k[1] * c.x[3] * c.outChannels);
      const fwdShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([...c.k, c.x[3], c.outChannels]) as tf.Tensor4D, c.stride, c.pad).shape);
      const dyv = randn(rng, fwdShape.reduce((a, b) => a * b)).map((v) => v * GRAD_SCALE);
      const inputs = () => ({ x: tf.tensor4d(xv, c.x), w: tf.tensor4d(wv, [...c.k, c.x[3], c.outChannels]), dy: tf.tensor(dyv, fwdShape) });
      const grads = (which: 0 | 1) => () => {
        const { x, w, dy } = inputs();
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([x, w], dy)[which]!;
      };
      const dFilter = await onBoth(grads(1));
      const dInput = await onBoth(grads(0));
      expect(maxAbsDiff(dFilter.cpu, dFilter.wasm)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(dInput.cpu, dInput.wasm)).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it.each([
    [[3, 26, 26, 8], 2, 2, 'valid'],
    [[2, 11, 11, 5], 2, 2, 'valid'],
    [[2, 9, 7, 3], 3, 2, 'same'],
    [[1, 10, 10, 4], 3, 1, 'valid'],
    [[2, 8, 9, 2], 2, 3, 'same'],
  ] as const)('MaxPoolGrad x=%j pool=%i stride=%i %s', async (shape, pool, stride, pad) => {
    const xv = randn(rng, shape.reduce((a: number, b: number) => a * b, 1));
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros([...shape]) as tf.Tensor4D, pool, stride, pad).shape);
    const dyv = randn(rng, outShape.reduce((a, b) => a * b)).map((v) => v * GRAD_SCALE);
    const g = await onBoth(() => tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, pool, stride, pad))(tf.tensor4d(xv, [...shape]), tf.tensor(dyv, outShape)));
    expect(maxAbsDiff(g.cpu, g.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('BatchMatMul transposeA=%s transposeB=%s, batched and broadcast', async (ta, tb) => {
    const a = randn(rng, 3 * 17 * 9);
    const b = randn(rng, 9 * 13);
    const r = await onBoth(() => tf.matMul(tf.tensor3d(a, ta ? [3, 9, 17] : [3, 17, 9]), tf.tensor3d(b, tb ? [1, 13, 9] : [1, 9, 13]), ta, tb));
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each([
    [[4, 6, 6, 5], [0, 1, 2], false],
    [[7, 3], [0], true],
    [[2, 3, 4], [1, 2], false],
    [[2, 3, 4], [0, 1], true],
  ] as const)('Sum and Mean of %j over axes %j (keepDims %s)', async (shape, axes, keepDims) => {
    const xv = randn(rng, shape.reduce((a: number, b: number) => a * b, 1));
    const sum = await onBoth(() => tf.sum(tf.tensor(xv, [...shape]), [...axes], keepDims));
    expect(maxAbsDiff(sum.cpu, sum.wasm)).toBeLessThanOrEqual(TOLERANCE);
    const mean = await onBoth(() => tf.mean(tf.tensor(xv, [...shape]), [...axes], keepDims));
    expect(maxAbsDiff(mean.cpu, mean.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each([
    [[1, 1, 1, 5], [3, 4, 6, 1]],
    [[1, 7], [5, 1]],
    [[2, 3], [2, 2]],
    [[1, 3, 1], [2, 1, 3]],
  ] as const)('Tile of %j by %j', async (shape, reps) => {
    const xv = randn(rng, shape.reduce((a: number, b: number) => a * b, 1));
    const r = await onBoth(() => tf.tile(tf.tensor(xv, [...shape]), [...reps]));
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(0);
  });

  it('Identity (clone) shares the data without a copy, and each handle outlives the other', () => {
    const values = randn(rng, 4096);
    const a = tf.tensor(values, [64, 64]);
    const buffers = tf.memory().numDataBuffers;
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual(Array.from(Float32Array.from(values)));
    const c = tf.clone(b);
    b.dispose();
    expect(c.dataSync()[4095]).toBe(Math.fround(values[4095]!));
    c.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });

  it('Cast to the same dtype shares the data; to another dtype it converts', () => {
    const a = tf.tensor([1.5, -2.25, 3], [3]);
    const buffers = tf.memory().numDataBuffers;
    const same = tf.cast(a, 'float32');
    expect(tf.memory().numDataBuffers).toBe(buffers);
    const ints = tf.cast(a, 'int32');
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    tf.dispose([same, ints]);
  });

  it('batch-norm training gradients (moments, broadcasting) match', async () => {
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
