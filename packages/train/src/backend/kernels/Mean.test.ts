import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Mean matches the cpu backend', () => {
  const rng = createRng(16);
  // The first two reduce every axis but the last (the fast path); the others fall back to the stock kernel.
  it.each([
    [[4, 6, 6, 5], [0, 1, 2], false],
    [[7, 3], [0], true],
    [[2, 3, 4], [1, 2], false],
    [[2, 3, 4], [0, 1], true],
  ] as const)('of %j over axes %j (keepDims %s)', async (shape, axes, keepDims) => {
    const xv = randn(rng, shape.reduce((a: number, b: number) => a * b, 1));
    const r = await onBoth(() => tf.mean(tf.tensor(xv, [...shape]), [...axes], keepDims));
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
