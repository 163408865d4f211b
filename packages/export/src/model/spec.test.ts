import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../errors.ts';
import { useCpuBackend } from '../tfjs.ts';
import { MODEL_INPUT, specFromLayersModel } from './spec.ts';

beforeAll(useCpuBackend);

describe('specFromLayersModel', () => {
  it('reads a functional chain, InputLayer included, with weights by short name', () => {
    const input = tfl.input({ shape: [5] });
    const dense = tfl.layers.dense({ units: 3, name: 'fc' });
    const model = tfl.model({ inputs: input, outputs: dense.apply(input) as tfl.SymbolicTensor });
    const spec = specFromLayersModel(model);
    expect(spec.inputShape).toEqual([5]);
    expect(spec.layers.map((l) => l.className)).toEqual(['Dense']);
    expect([...spec.layers[0]!.weights.keys()]).toEqual(['kernel', 'bias']);
    expect(spec.layers[0]!.weights.get('kernel')!.shape).toEqual([5, 3]);
  });

  it('reads a Sequential that starts with an explicit InputLayer (as train builds the CNN)', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.inputLayer({ inputShape: [6, 6, 1] }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 3 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    const spec = specFromLayersModel(model);
    expect(spec.inputShape).toEqual([6, 6, 1]);
    expect(spec.layers.map((l) => l.className).filter((c) => c !== 'InputLayer')).toEqual(['Conv2D', 'Flatten', 'Dense']);
  });

  it('reads a branching model as a graph: layers in topological order with their inputs', () => {
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 2, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 2, name: 'b' }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'merge' }).apply([a, b]) as tfl.SymbolicTensor;
    const spec = specFromLayersModel(tfl.model({ inputs: input, outputs: sum }));
    expect(spec.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['a', [MODEL_INPUT]],
      ['b', [MODEL_INPUT]],
      ['merge', ['a', 'b']],
    ]);
  });

  it('rejects a model with two outputs', () => {
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    expect(() => specFromLayersModel(tfl.model({ inputs: input, outputs: [a, b] }))).toThrow(UnsupportedModelError);
  });

  it('a layer shared with another model does not confuse the chain walk', () => {
    const shared = tfl.layers.dense({ units: 2, inputShape: [3] });
    tfl.sequential({ layers: [shared] });
    const input = tfl.input({ shape: [3] });
    const model = tfl.model({ inputs: input, outputs: shared.apply(input) as tfl.SymbolicTensor });
    expect(specFromLayersModel(model).layers).toHaveLength(1);
  });
});
