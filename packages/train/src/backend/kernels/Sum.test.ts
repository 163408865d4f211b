import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { maxAbsDiff, REDUCTION_CASES, reductionOnBoth, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Sum matches the cpu backend', () => {
  const rng = createRng(15);
  it.each(REDUCTION_CASES)('of %j over axes %j (keepDims %s)', async (shape, axes, keepDims) => {
    const r = await reductionOnBoth('sum', rng, shape, axes, keepDims);
    expect(maxAbsDiff(r.cpu, r.wasm)).toBeLessThanOrEqual(TOLERANCE);
  });
});
