import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../../test/helpers.ts';
import { decodeModel, floatsOf } from '../../onnx/proto.ts';
import { useCpuBackend } from '../../tfjs.ts';
import { permuteRowsHwcToChw } from './dense.ts';

beforeAll(useCpuBackend);

const opTypes = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.opType);

describe('Flatten ordering (NHWC in tfjs, NCHW in ONNX)', () => {
  it('permutes kernel rows from H,W,C to C,H,W order', () => {
    // Rows of a [H=1, W=2, C=2] -> 1 unit kernel, tfjs order: (w0,c0) (w0,c1) (w1,c0) (w1,c1).
    const rows = Float32Array.from([10, 11, 20, 21]);
    // ONNX order groups by channel: (c0: w0, w1), (c1: w0, w1).
    expect([...permuteRowsHwcToChw(rows, 1, [1, 2, 2])]).toEqual([10, 20, 11, 21]);
  });

  it('Conv2D -> MaxPooling2D -> Flatten -> Dense matches tfjs with no Transpose node', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [10, 10, 1], filters: 6, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dropout({ rate: 0.5 }),
        tfl.layers.dense({ units: 8, activation: 'relu' }),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    randomizeWeights(model, 21);
    const { maxAbs, result } = await compareOnRandomInputs(model, 6, 22);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    expect(opTypes(result.bytes)).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
  });

  it('the row permutation is what makes it right: the ONNX kernel differs from the tfjs kernel', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 2 }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })],
    });
    randomizeWeights(model, 23);
    const { maxAbs, result } = await compareOnRandomInputs(model, 4, 24);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    const stored = decodeModel(result.bytes).graph!.initializer!.find((t) => t.name === `${model.layers[2]!.name}/kernel`)!;
    const onnxKernel = floatsOf(stored);
    const tfjsKernel = model.layers[2]!.getWeights()[0]!.dataSync();
    expect(onnxKernel.length).toBe(tfjsKernel.length);
    expect([...onnxKernel]).not.toEqual([...tfjsKernel]);
    expect([...onnxKernel].sort((a, b) => a - b)).toEqual([...tfjsKernel].sort((a, b) => a - b));
  });

  it('a Flatten that ends the graph transposes to NHWC first, so the output order is tfjs order', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [5, 4, 2], filters: 3, kernelSize: 2 }), tfl.layers.flatten()] });
    randomizeWeights(model, 25);
    const { maxAbs, result } = await compareOnRandomInputs(model, 3, 26);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    expect(opTypes(result.bytes)).toEqual(['Conv', 'Transpose', 'Flatten', 'Softmax']);
  });

  it('a one-channel input (the MLP) needs neither permutation nor Transpose', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [6, 5, 1] }), tfl.layers.dense({ units: 4 })] });
    randomizeWeights(model, 27);
    const { maxAbs, result } = await compareOnRandomInputs(model, 3, 28);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    expect(opTypes(result.bytes)).toEqual(['Flatten', 'Gemm', 'Softmax']);
  });
});
