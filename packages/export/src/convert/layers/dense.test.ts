import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../../test/helpers.ts';
import { useCpuBackend } from '../../tfjs.ts';

beforeAll(useCpuBackend);

describe('Dense', () => {
  it.each([
    ['linear', true],
    ['relu', true],
    ['softmax', true],
    ['linear', false],
  ] as const)('activation %s, useBias %s matches tfjs within 1e-5', async (activation, useBias) => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [12], units: 7, activation, useBias })] });
    randomizeWeights(model, 1);
    const { maxAbs, tfjs } = await compareOnRandomInputs(model, 9, 2);
    expect(tfjs.length).toBe(9 * 7);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });
});
