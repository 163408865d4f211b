import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { convCaseName, convCases, convGradOnBoth, maxAbsDiff, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Conv2DBackpropInput matches the cpu backend', () => {
  const rng = createRng(12);
  for (const c of convCases(14)) {
    it(convCaseName(c), async () => {
      const dInput = await convGradOnBoth(c, rng, 0);
      expect(maxAbsDiff(dInput.cpu, dInput.wasm)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
