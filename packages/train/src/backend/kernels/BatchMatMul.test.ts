import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm BatchMatMul matches the cpu backend', () => {
  const rng = createRng(14);
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transposeA=%s transposeB=%s, batched and broadcast', async (ta, tb) => {
    const a = randn(rng, 3 * 17 * 9);
    const b = randn(rng, 9 * 13);
    const r = await onBoth(() => tf.matMul(tf.tensor3d(a, ta ? [3, 9, 17] : [3, 17, 9]), tf.tensor3d(b, tb ? [1, 13, 9] : [1, 9, 13]), ta, tb));
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
