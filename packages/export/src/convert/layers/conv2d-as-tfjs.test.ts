import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomizeWeights, rng } from '../../../test/helpers.ts';
import { useReferenceBackend } from '../../explain/reference-backend.ts';
import { specFromLayersModel } from '../../model/spec.ts';
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { nhwcToNchw } from '../../layout.ts';
import { planLayers } from '../plan.ts';
import type { Conv2DOp, TensorState, TfjsBackendArithmetic } from '../types.ts';
import { emitConv2D } from './conv2d.ts';

// The reference is tfjs's wasm backend, the one the explanation parity runs on (docs/explain-parity.md).
beforeAll(() => useReferenceBackend('wasm'));

const [N, H, W] = [3, 14, 13];

/** Pixels as the models see them: many exact zeros (the background), the rest spread over (0, 1]. */
function images(seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: N * H * W }, () => (next() < 0.4 ? 0 : Math.fround(Math.ceil(next() * 255) / 255)));
}

/** The Conv2D op (BatchNormalization folded in) emitted alone, run in onnxruntime with all optimizations: NHWC values. */
async function runEmitted(op: Conv2DOp, input: Float32Array, exactFirstLayer: TfjsBackendArithmetic | undefined): Promise<Float32Array> {
  const graph = new GraphBuilder();
  const x: TensorState = { name: 'x', layout: 'spatial', shape: [H, W, 1] };
  const y = emitConv2D({ ...op, activation: 'linear' }, { graph, rest: [], exactFirstLayer }, x);
  graph.renameTensor(y.name, 'y');
  const [oh, ow, c] = y.shape as [number, number, number];
  const bytes = graph.build({
    graphName: 'g',
    producerName: 'test',
    producerVersion: '0',
    metadata: {},
    inputs: [{ name: 'x', dims: [N, 1, H, W] }],
    outputs: [{ name: 'y', dims: [N, c, oh, ow] }],
  });
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const out = (await session.run({ x: new ort.Tensor('float32', nhwcToNchw(input, [N, H, W, 1]), [N, 1, H, W]) })).y!;
  await session.release();
  const nchw = out.data as Float32Array;
  const values = new Float32Array(nchw.length);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < c; k++) for (let i = 0; i < oh * ow; i++) values[(n * oh * ow + i) * c + k] = nchw[(n * c + k) * oh * ow + i]!;
  return values;
}

function differing(a: Float32Array, b: Float32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) count++;
  return count;
}

const LAYERS = [
  { kernelSize: 3, strides: 1, padding: 'same', useBias: false, batchNorm: true },
  { kernelSize: 3, strides: 2, padding: 'same', useBias: false, batchNorm: true },
  { kernelSize: [5, 3], strides: 1, padding: 'valid', useBias: true, batchNorm: true },
  { kernelSize: 3, strides: 1, padding: 'same', useBias: true, batchNorm: false },
] as const;

async function expectBitIdentical(backend: TfjsBackendArithmetic, { batchNorm, ...conv }: (typeof LAYERS)[number]): Promise<void> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [H, W, 1], filters: 16, ...conv, kernelSize: conv.kernelSize as number | number[] }),
      ...(batchNorm ? [tfl.layers.batchNormalization({ epsilon: 1e-3 })] : []),
    ],
  });
  randomizeWeights(model, 11);
  const input = images(5);
  const reference = tf.tidy(() => (model.predict(tf.tensor4d(input, [N, H, W, 1])) as tf.Tensor).dataSync() as Float32Array);
  const op = planLayers(specFromLayersModel(model).layers).ops[0] as Conv2DOp;

  const exact = await runEmitted(op, input, backend);
  expect(exact.length).toBe(reference.length);
  expect(differing(exact, reference)).toBe(0);
  if (batchNorm) {
    // The folded convolution (the classifier's) agrees only to rounding: what this emitter is for.
    const folded = await runEmitted(op, input, undefined);
    expect(differing(folded, reference)).toBeGreaterThan(0);
  }
}

describe('a one-channel Conv2D (+ BatchNormalization) written tap by tap as tfjs wasm computes it', () => {
  it.each(LAYERS)('%o: bit-identical to tfjs wasm', (layer) => expectBitIdentical('wasm', layer));
});

describe("a one-channel Conv2D (+ BatchNormalization) as tfjs's cpu backend computes it: Conv, then the batch norm in float64", () => {
  beforeAll(() => useReferenceBackend('cpu'));
  it.each(LAYERS)('%o: bit-identical to tfjs cpu', (layer) => expectBitIdentical('cpu', layer));
});
