// Where do tfjs and onnxruntime decide differently? For a CNN (Conv2D -> BatchNormalization -> ReLU -> 2x2 max-pool
// blocks, then Dense -> BatchNormalization -> ReLU), compares every ReLU sign and every 2x2 pooling window's winner
// (the first maximum, as both sides route the gradient) between tfjs's forward pass and the explanation graph's, per
// layer. An explanation map differs from tfjs's autodiff only where such a decision does. A diagnostic for
// docs/explain-parity.md (session 27: on cnn, all the first layer's with the shipped graph, all the second pool's with
// --exact-first-layer: the first layer as the --backend computes it).
//   FMNIST_DIR=../shared/fashion-mnist pnpm --filter @fmnist/export exec tsx scripts/decision-probe.ts [--model cnn]
//       [--from 0 --count 2500 | --images 594,1911] [--backend wasm|cpu] [--exact-first-layer]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { bytesToInput, IMAGE_PIXELS, onnxInputDims } from '@fmnist/core';
import { loadSplit, resolveDataDir } from '@fmnist/core/node';
import { EXPLAIN_INPUTS } from '../src/explain/contract.ts';
import { REFERENCE_BACKENDS, useReferenceBackend, type ReferenceBackend } from '../src/explain/reference-backend.ts';
import { resolveModelArg } from '../src/locations.ts';
import { onnx } from '../src/onnx/proto.ts';
import { exportRunDir } from '../src/pipeline.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    from: { type: 'string', default: '0' },
    count: { type: 'string', default: '2500' },
    images: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    'exact-first-layer': { type: 'boolean', default: false },
  },
});
const backend = values.backend as ReferenceBackend;
if (!REFERENCE_BACKENDS.includes(backend)) throw new Error(`--backend ${backend}: use ${REFERENCE_BACKENDS.join(' or ')}`);

const { name, dir } = resolveModelArg(values.model, process.cwd());
const exported = await exportRunDir(dir, name, { explain: true, exactFirstLayer: values['exact-first-layer'] ? backend : undefined });
await useReferenceBackend(backend);
const layersModel = exported.model as tfl.LayersModel;
const activations = layersModel.layers.filter((l) => l.getClassName() === 'Activation');
if (activations.length === 0) throw new Error(`${name}: no Activation layers; the probe reads a BatchNormalization model's ReLUs`);
const probe = tfl.model({ inputs: layersModel.inputs, outputs: activations.map((l) => l.output as tfl.SymbolicTensor) });

// The graph's forward ReLUs come first in node order (the backward pass and the maps follow them).
const proto = onnx.ModelProto.decode(exported.explain!.bytes);
const relus = proto
  .graph!.node!.filter((n) => n.opType === 'Relu')
  .map((n) => n.output![0]!)
  .slice(0, activations.length);
for (const tensor of relus) proto.graph!.output!.push(onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: 1 } } }));
const session = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish(), { graphOptimizationLevel: 'all' });

interface Tally {
  windows: number;
  signs: number;
  images: number[];
}
/** Differing window winners and ReLU signs of one layer: tfjs NHWC, onnxruntime NCHW (or flat for a Dense). */
function compare(ref: Float32Array, shape: number[], ort_: Float32Array): { windows: number; signs: number } {
  let [windows, signs] = [0, 0];
  if (shape.length === 2) {
    for (let i = 0; i < ref.length; i++) if (ref[i]! > 0 !== ort_[i]! > 0) signs++;
    return { windows, signs };
  }
  const [, h, w, c] = shape as [number, number, number, number];
  for (let k = 0; k < c; k++)
    for (let y = 0; y + 1 < h; y += 2)
      for (let x = 0; x + 1 < w; x += 2) {
        let [refBest, refAt, ortBest, ortAt] = [-Infinity, -1, -Infinity, -1];
        for (let d = 0; d < 4; d++) {
          const [yy, xx] = [y + (d >> 1), x + (d & 1)];
          const [a, b] = [ref[(yy * w + xx) * c + k]!, ort_[(k * h + yy) * w + xx]!];
          if (a > 0 !== b > 0) signs++;
          if (a > refBest) [refBest, refAt] = [a, d];
          if (b > ortBest) [ortBest, ortAt] = [b, d];
        }
        if (refAt !== ortAt) windows++;
      }
  return { windows, signs };
}

const test = await loadSplit(resolveDataDir(undefined), 'test', { verify: false });
const images = values.images?.split(',').map(Number) ?? Array.from({ length: Number(values.count) }, (_, i) => Number(values.from) + i);
const tallies: Tally[] = activations.map(() => ({ windows: 0, signs: 0, images: [] }));
for (const image of images) {
  const x = bytesToInput(test.images.subarray(image * IMAGE_PIXELS, (image + 1) * IMAGE_PIXELS));
  const refs = tf.tidy(() =>
    (probe.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor[]).map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape })),
  );
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', x, onnxInputDims(1)),
    [EXPLAIN_INPUTS.class]: new ort.Tensor('int64', BigInt64Array.of(-1n), [1]),
  });
  relus.forEach((tensor, i) => {
    const { windows, signs } = compare(refs[i]!.data, refs[i]!.shape, out[tensor]!.data as Float32Array);
    const t = tallies[i]!;
    t.windows += windows;
    t.signs += signs;
    if (windows + signs > 0) t.images.push(image);
  });
}
console.log(`${name}${values['exact-first-layer'] ? ' (exact first layer)' : ''}, ${images.length} test images, reference on tfjs ${backend}:`);
activations.forEach((layer, i) => {
  const t = tallies[i]!;
  console.log(
    `  ${layer.name}: ${t.windows} pooling windows and ${t.signs} ReLU signs differ, in ${t.images.length} images${t.images.length ? ` (${t.images.slice(0, 20).join(', ')}${t.images.length > 20 ? ', ...' : ''})` : ''}`,
  );
});
