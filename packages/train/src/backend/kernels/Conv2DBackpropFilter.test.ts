import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { convCaseName, convCases, convGradOnBoth, maxAbsDiff, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Conv2DBackpropFilter matches the cpu backend', () => {
  const rng = createRng(11);
  for (const c of convCases(14)) {
    it(convCaseName(c), async () => {
      const dFilter = await convGradOnBoth(c, rng, 1);
      expect(maxAbsDiff(dFilter.cpu, dFilter.wasm)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
