import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../../test/helpers.ts';
import { decodeModel } from '../../onnx/proto.ts';
import { useCpuBackend } from '../../tfjs.ts';

beforeAll(useCpuBackend);

describe('BatchNormalization folding', () => {
  it.each([
    { useBias: false, center: true, scale: true, epsilon: 1e-3 },
    { useBias: true, center: true, scale: true, epsilon: 0.5 },
    { useBias: true, center: false, scale: true, epsilon: 1e-3 },
    { useBias: false, center: true, scale: false, epsilon: 1e-5 },
  ])('after Conv2D %o matches tfjs within 1e-5 and leaves no BN node', async ({ useBias, ...bn }) => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 5, kernelSize: 3, useBias }),
        tfl.layers.batchNormalization(bn),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4 }),
      ],
    });
    randomizeWeights(model, 7);
    const { maxAbs, result } = await compareOnRandomInputs(model, 5, 8);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    const ops = decodeModel(result.bytes).graph!.node!.map((n) => n.opType);
    expect(ops).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm', 'Softmax']);
  });

  it('after Dense (axis 1, no bias) matches tfjs within 1e-5', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [10], units: 6, useBias: false }),
        tfl.layers.batchNormalization({ axis: 1 }),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.dense({ units: 3 }),
        tfl.layers.batchNormalization(),
      ],
    });
    randomizeWeights(model, 9);
    const { maxAbs } = await compareOnRandomInputs(model, 7, 10);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });
});
