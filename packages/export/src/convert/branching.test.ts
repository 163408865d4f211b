import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOnRandomInputs, randomizeWeights } from '../../test/helpers.ts';
import { UnsupportedLayerError } from '../errors.ts';
import { specFromLayersModel } from '../model/spec.ts';
import { decodeModel } from '../onnx/proto.ts';
import { useCpuBackend } from '../tfjs.ts';
import { convertSpec } from './convert.ts';

beforeAll(useCpuBackend);

type T = tfl.SymbolicTensor;
const convBn = (x: T, filters: number, kernelSize: number, strides: number) =>
  tfl.layers.batchNormalization().apply(tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as T) as T;
const relu = (x: T) => tfl.layers.activation({ activation: 'relu' }).apply(x) as T;

/** A residual block as train's ResNet builds it: strided conv-BN-ReLU-conv-BN, projected shortcut, Add, ReLU. */
function block(x: T, filters: number, strides: number): T {
  const y = convBn(relu(convBn(x, filters, 3, strides)), filters, 3, 1);
  const shortcut = strides === 1 && x.shape[3] === filters ? x : convBn(x, filters, 1, strides);
  return relu(tfl.layers.add().apply([y, shortcut]) as T);
}

function tinyResNet(inputShape: [number, number, number]): tfl.LayersModel {
  const input = tfl.input({ shape: inputShape });
  let x = relu(convBn(input, 4, 3, 1));
  x = block(x, 4, 1);
  x = block(x, 8, 2);
  x = block(x, 12, 2);
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as T;
  return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 5 }).apply(x) as T });
}

const opTypes = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.opType);

describe('branching models (residual networks)', () => {
  // 28 -> 14 -> 7 pads the strided 3x3 convs (0, 1): TF's 'same' puts the odd pixel at the end; 9 -> 5 -> 3 pads (1, 1).
  it.each([[[28, 28, 1]], [[9, 9, 2]]] as const)('a ResNet with strided convs, projections, BN, Add and GAP on %o matches tfjs within 1e-5', async (shape) => {
    const model = tinyResNet([...shape]);
    randomizeWeights(model, 31);
    const { maxAbs, result } = await compareOnRandomInputs(model, 4, 32);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    const ops = opTypes(result.bytes);
    // Every BN folded into its conv; three Adds; one pool; no Transpose.
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(9);
    expect(ops.filter((o) => o === 'Add')).toHaveLength(3);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Transpose');
    expect(ops.slice(-4)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
  });

  it('writes the asymmetric padding of a strided conv explicitly', () => {
    const model = tinyResNet([28, 28, 1]);
    const nodes = decodeModel(convertSpec(specFromLayersModel(model), { name: 't' }).bytes).graph!.node!;
    const strided = nodes.filter((n) => n.opType === 'Conv' && n.attribute!.find((a) => a.name === 'strides')!.ints!.map(Number)[0] === 2);
    const pads = strided.map((n) => n.attribute!.find((a) => a.name === 'pads')!.ints!.map(Number));
    // 3x3 stride 2 on 28 and 14: (0, 1) per axis; the 1x1 projections need none.
    expect(pads).toEqual([
      [0, 0, 1, 1],
      [0, 0, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 0, 0],
    ]);
  });

  it('refuses a batch norm whose conv also feeds another layer: folding would change that layer too', () => {
    const input = tfl.input({ shape: [6, 6, 2] });
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'shared_conv' }).apply(input) as T;
    const bn = tfl.layers.batchNormalization({ name: 'bn' }).apply(conv) as T;
    const sum = tfl.layers.add().apply([bn, conv]) as T;
    const out = tfl.layers.dense({ units: 3 }).apply(tfl.layers.globalAveragePooling2d({}).apply(sum) as T) as T;
    const spec = specFromLayersModel(tfl.model({ inputs: input, outputs: out }));
    expect(() => convertSpec(spec, { name: 't' })).toThrow(UnsupportedLayerError);
    expect(() => convertSpec(spec, { name: 't' })).toThrow(/'shared_conv' also feeds other layers/);
  });
});
