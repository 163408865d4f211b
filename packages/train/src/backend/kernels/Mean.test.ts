import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { maxAbsDiff, REDUCTION_CASES, reductionOnBoth, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Mean matches the cpu backend', () => {
  const rng = createRng(16);
  it.each(REDUCTION_CASES)('of %j over axes %j (keepDims %s)', async (shape, axes, keepDims) => {
    const r = await reductionOnBoth('mean', rng, shape, axes, keepDims);
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
