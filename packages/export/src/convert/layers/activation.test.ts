import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../../test/helpers.ts';
import { decodeModel } from '../../onnx/proto.ts';
import { useCpuBackend } from '../../tfjs.ts';

beforeAll(useCpuBackend);

describe('Activation layer', () => {
  it.each(['relu', 'linear', 'softmax'] as const)('%s after Dense matches tfjs within 1e-5', async (activation) => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [6], units: 5 }), tfl.layers.activation({ activation })] });
    randomizeWeights(model, 11);
    const { maxAbs } = await compareOnRandomInputs(model, 8, 12);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('softmax on a feature map acts on channels, like tfjs', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2 }),
        tfl.layers.activation({ activation: 'softmax' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4 }),
      ],
    });
    randomizeWeights(model, 13);
    const { maxAbs } = await compareOnRandomInputs(model, 4, 14);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('a final softmax is moved out of `logits` into `probabilities`', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [6], units: 5, activation: 'softmax' })] });
    randomizeWeights(model, 15);
    const { result, maxAbs } = await compareOnRandomInputs(model, 3, 16);
    expect(result.sourceOutputsProbabilities).toBe(true);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    expect(decodeModel(result.bytes).graph!.node!.map((n) => n.opType)).toEqual(['Gemm', 'Softmax']);
  });
});
