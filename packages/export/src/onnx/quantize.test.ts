import { beforeAll, describe, expect, it } from 'vitest';
import { deviation, rng, randomizeWeights, uniform } from '../../test/helpers.ts';
import { architectures } from '../../test/run-dir.ts';
import { convertSpec } from '../convert/convert.ts';
import { specFromLayersModel } from '../model/spec.ts';
import { openCpuSession } from '../ort.ts';
import { predictFlat, useCpuBackend } from '../tfjs.ts';
import { decodeModel } from './proto.ts';
import { quantizePerChannel } from './quantize.ts';
import { onnxInputDims, runClassifier } from '@fmnist/core';

beforeAll(useCpuBackend);

describe('quantizePerChannel', () => {
  it.each([
    [[4, 3], 1],
    [[3, 2, 2, 2], 0],
  ] as const)('dims %o axis %i: every weight dequantizes within half a step of its channel scale', (dims, axis) => {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = uniform(size, -2, 2, rng(41));
    data[0] = 0;
    const { values, scales } = quantizePerChannel(data, dims, axis);
    expect(scales).toHaveLength(dims[axis]);
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < size; i++) {
      const scale = scales[Math.floor(i / inner) % dims[axis]]!;
      expect(Math.abs(values[i]! * scale - data[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
    }
    // The largest magnitude of each channel maps onto +-127.
    expect(Math.max(...[...values].map(Math.abs))).toBe(127);
  });

  it('an all-zero channel stays zero', () => {
    const { values, scales } = quantizePerChannel(new Float32Array(6), [3, 2], 1);
    expect([...values]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...scales]).toEqual([1, 1]);
  });
});

describe('int8 (weight-only QDQ) export', () => {
  it('is under 30% of the float file and stays close to tfjs', async () => {
    const model = architectures.cnn();
    randomizeWeights(model, 43);
    const spec = specFromLayersModel(model);
    const float = convertSpec(spec, { name: 'cnn' });
    const int8 = convertSpec(spec, { name: 'cnn', int8: true });
    expect(int8.bytes.length).toBeLessThan(0.3 * float.bytes.length);
    expect(decodeModel(int8.bytes).graph!.node!.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(4);

    const n = 16;
    const images = uniform(n * 784, 0, 1, rng(44));
    const tfjs = predictFlat(model, images, [n, 28, 28, 1]);
    const session = await openCpuSession(int8.bytes);
    const { logits } = await runClassifier(session, images, onnxInputDims(n));
    await session.release();
    const { maxAbs, maxLogit } = deviation(tfjs, logits);
    // Quantization noise, not a wiring error: a few percent of the logit scale, but not exact either.
    expect(maxAbs).toBeGreaterThan(1e-5);
    expect(maxAbs).toBeLessThan(0.05 * maxLogit);
  });
});
