/**
 * What the wasm kernel tests (src/backend/kernels/*.test.ts) share: every
 * replaced kernel is checked against tfjs' reference cpu backend on seeded
 * random shapes, strides and paddings, through the public API. Inputs are
 * N(0, 1); output gradients N(0, 0.1^2), the order of magnitude they have in
 * training, so that float32 summation-order noise in sums of thousands of
 * terms stays well inside the tolerance.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, expect } from 'vitest';
import { disableOneDnn } from '../../src/backend/native/onednn.ts';
import { selectBackend } from '../../src/backend/select.ts';
import { createRng } from '../../src/random.ts';

export const TOLERANCE = 1e-4;
export const GRAD_SCALE = 0.1;

/**
 * Activates wasm with the fast kernels before the file's tests (the cpu backend registers on import).
 * Without oneDNN unless asked: the convolution kernels of this folder are what those files test, and
 * where the oneDNN addon is built it would take their place.
 */
export function useWasmKernels(options: { oneDnn?: boolean } = {}): void {
  beforeAll(async () => {
    if (!options.oneDnn) disableOneDnn('the wasm kernels under test');
    await selectBackend('wasm');
  });
}

export function randn(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** Runs `fn` on the cpu backend, then on wasm, and returns both results' values. */
export async function onBoth(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const run = async (name: string) => {
    await tf.setBackend(name);
    const t = fn();
    const data = t.dataSync() as Float32Array;
    t.dispose();
    return data;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  outChannels: number;
  stride: number;
  pad: 'valid' | 'same';
}

/** The project's own convolution shapes, then `count` seeded random ones. */
export function convCases(count: number): ConvCase[] {
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

export function convCaseName(c: ConvCase): string {
  return `conv x=${c.x} k=${c.k} out=${c.outChannels} stride=${c.stride} ${c.pad}`;
}

/** The gradient of a random conv2d case with respect to its input (0) or filter (1), on both backends. */
export async function convGradOnBoth(c: ConvCase, rng: () => number, which: 0 | 1): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const xv = randn(
    rng,
    c.x.reduce((a, b) => a * b),
  );
  const wv = randn(rng, c.k[0] * c.k[1] * c.x[3] * c.outChannels);
  const fwdShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([...c.k, c.x[3], c.outChannels]) as tf.Tensor4D, c.stride, c.pad).shape);
  const dyv = randn(
    rng,
    fwdShape.reduce((a, b) => a * b),
  ).map((v) => v * GRAD_SCALE);
  return onBoth(() => {
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, [...c.k, c.x[3], c.outChannels]);
    const dy = tf.tensor(dyv, fwdShape);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))([x, w], dy)[which]!;
  });
}

/**
 * Sum and Mean share one replacement: each kernel's test runs these cases.
 * The first two reduce every axis but the last (the fast path); the others
 * fall back to the stock kernel.
 */
export const REDUCTION_CASES = [
  [[4, 6, 6, 5], [0, 1, 2], false],
  [[7, 3], [0], true],
  [[2, 3, 4], [1, 2], false],
  [[2, 3, 4], [0, 1], true],
] as const;

/** The reduction `op` of a seeded random tensor of `shape`, on both backends. */
export function reductionOnBoth(
  op: 'sum' | 'mean',
  rng: () => number,
  shape: readonly number[],
  axes: readonly number[],
  keepDims: boolean,
): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const xv = randn(
    rng,
    shape.reduce((a, b) => a * b, 1),
  );
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the op under test is chosen by name
  return onBoth(() => tf[op](tf.tensor(xv, [...shape]), [...axes], keepDims));
}
