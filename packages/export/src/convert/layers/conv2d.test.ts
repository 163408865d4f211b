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

describe('Conv2D', () => {
  it.each([
    { padding: 'valid', strides: 1, kernelSize: 3, activation: 'relu', useBias: true },
    { padding: 'same', strides: 1, kernelSize: 3, activation: 'linear', useBias: true },
    { padding: 'same', strides: 2, kernelSize: 3, activation: 'relu', useBias: false },
    { padding: 'same', strides: 2, kernelSize: 4, activation: 'linear', useBias: true },
    { padding: 'valid', strides: [2, 1], kernelSize: [2, 3], activation: 'relu', useBias: true },
    { padding: 'same', strides: 3, kernelSize: [5, 2], activation: 'linear', useBias: true },
  ] as const)('%o matches tfjs within 1e-5', async (options) => {
    const model = withHead(
      tfl.layers.conv2d({
        filters: 4,
        ...options,
        strides: options.strides as number | [number, number],
        kernelSize: options.kernelSize as number | [number, number],
      }),
      [9, 8, 3],
    );
    randomizeWeights(model, 3);
    const { maxAbs } = await compareOnRandomInputs(model, 6, 4);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });
});
