import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../../test/helpers.ts';
import { useCpuBackend } from '../../tfjs.ts';

beforeAll(useCpuBackend);

// A Flatten + Dense head turns the feature map into the [N, classes] output
// the exporter requires; the layer under test is the first one.
function withHead(layer: tfl.layers.Layer, inputShape: number[]) {
  return tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape }), layer, tfl.layers.flatten(), tfl.layers.dense({ units: 5 })] });
}

describe('MaxPooling2D', () => {
  it.each([
    { poolSize: 2, padding: 'valid' },
    { poolSize: 2, padding: 'same' },
    { poolSize: 3, strides: 2, padding: 'same' },
    { poolSize: [3, 2], strides: [1, 2], padding: 'valid' },
  ] as const)('%o matches tfjs within 1e-5', async (options) => {
    const model = withHead(
      tfl.layers.maxPooling2d({
        ...options,
        poolSize: options.poolSize as number | [number, number],
        strides: ('strides' in options ? options.strides : undefined) as number | [number, number] | undefined,
      }),
      [7, 9, 3],
    );
    randomizeWeights(model, 5);
    const { maxAbs } = await compareOnRandomInputs(model, 6, 6);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });
});
