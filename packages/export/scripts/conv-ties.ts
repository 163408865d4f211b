// Do onnxruntime and the tfjs reference keep the ties that identical neighbourhoods give? For each 3x3 stride-1
// Conv of a model, every pair of output positions whose input neighbourhoods (all input channels, 'same' padding)
// are bit-identical must get bit-identical outputs. A kernel that computed positions differently (blocked layouts,
// tails) would split the max-pool ties below it on one side only, and the explanation graph's max-pool backward
// would route a gradient unlike tfjs's autodiff: a parity miss that a kernel choice could mend. A diagnostic for
// docs/explain-parity.md (session 22: none is split on either side).
//   FMNIST_DIR=../shared/fashion-mnist pnpm --filter @fmnist/export exec tsx scripts/conv-ties.ts [--model cnn]
//       [--images 269,2869,594] [--level all|extended|basic|disabled] [--backend wasm|cpu]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { bytesToInput, IMAGE_PIXELS, onnxInputDims } from '@fmnist/core';
import { loadSplit, resolveDataDir } from '@fmnist/core/node';
import { REFERENCE_BACKENDS, useReferenceBackend, type ReferenceBackend } from '../src/explain/reference-backend.ts';
import { resolveModelArg } from '../src/locations.ts';
import { onnx } from '../src/onnx/proto.ts';
import { exportRunDir } from '../src/pipeline.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    images: { type: 'string', default: '269,2869,594,1911,2005,2094,2277,100,200,300' },
    level: { type: 'string', default: 'all' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const backend = values.backend as ReferenceBackend;
if (!REFERENCE_BACKENDS.includes(backend)) throw new Error(`--backend ${backend}: use ${REFERENCE_BACKENDS.join(' or ')}`);

/** A conv's input and output as flat NCHW or NHWC arrays. */
interface ConvTensors {
  name: string;
  input: Float32Array;
  output: Float32Array;
  /** height, width, input channels, output channels */
  shape: [number, number, number, number];
  layout: 'nchw' | 'nhwc';
}

interface Tally {
  kept: number;
  split: number;
  largest: number;
}

/** Counts, over pairs of positions with bit-identical 3x3 input neighbourhoods, output values kept equal and split. */
function countTies({ input, output, shape: [h, w, cin, cout], layout }: ConvTensors, tally: Tally): number {
  const at = (y: number, x: number, c: number, channels: number) => (layout === 'nchw' ? (c * h + y) * w + x : (y * w + x) * channels + c);
  const groups = new Map<string, number[]>();
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v: number[] = [];
      for (let c = 0; c < cin; c++)
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const [yy, xx] = [y + dy, x + dx];
            v.push(yy < 0 || xx < 0 || yy >= h || xx >= w ? Number.NaN : input[at(yy, xx, c, cin)]!);
          }
      const key = v.join(',');
      groups.set(key, [...(groups.get(key) ?? []), y * w + x]);
    }
  let split = 0;
  for (const positions of groups.values())
    for (let c = 0; c < cout; c++) {
      const [y0, x0] = [Math.floor(positions[0]! / w), positions[0]! % w];
      const first = output[at(y0, x0, c, cout)]!;
      for (const p of positions.slice(1)) {
        const v = output[at(Math.floor(p / w), p % w, c, cout)]!;
        if (v === first) tally.kept++;
        else {
          tally.split++;
          split++;
          tally.largest = Math.max(tally.largest, Math.abs(v - first));
        }
      }
    }
  return split;
}

const { name, dir } = resolveModelArg(values.model, process.cwd());
const exported = await exportRunDir(dir, name, {});
await useReferenceBackend(backend);

// onnxruntime: each Conv's input and output become graph outputs, so that one run returns them.
const proto = onnx.ModelProto.decode(exported.bytes);
const convNodes = proto.graph!.node!.filter((n) => n.opType === 'Conv');
const graphInput = proto.graph!.input![0]!.name!;
for (const tensor of new Set(convNodes.flatMap((n) => [n.input![0]!, n.output![0]!])))
  if (tensor !== graphInput) proto.graph!.output!.push(onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: 1 } } }));
const session = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish(), {
  graphOptimizationLevel: values.level as ort.InferenceSession.SessionOptions['graphOptimizationLevel'],
});

// tfjs: a model whose outputs are each Conv2D's input and output.
const layersModel = exported.model as tfl.LayersModel;
const convLayers = layersModel.layers.filter((l) => l.getClassName() === 'Conv2D');
const probe = tfl.model({
  inputs: layersModel.inputs,
  outputs: convLayers.flatMap((l) => [l.input as tfl.SymbolicTensor, l.output as tfl.SymbolicTensor]),
});

const split = await loadSplit(resolveDataDir(undefined), 'test', { verify: false });
const tallies = { onnxruntime: convNodes.map(() => ({ kept: 0, split: 0, largest: 0 })), tfjs: convLayers.map(() => ({ kept: 0, split: 0, largest: 0 })) };
for (const image of values.images.split(',').map(Number)) {
  const x = bytesToInput(split.images.subarray(image * IMAGE_PIXELS, (image + 1) * IMAGE_PIXELS));
  const line: string[] = [];
  const out = await session.run({ [graphInput]: new ort.Tensor('float32', x, onnxInputDims(1)) });
  convNodes.forEach((n, k) => {
    const input = n.input![0] === graphInput ? { data: x, dims: onnxInputDims(1) } : out[n.input![0]!]!;
    const output = out[n.output![0]!]!;
    const [, cin, h, w] = input.dims as number[];
    if (output.dims[2] !== h || output.dims[3] !== w) throw new Error(`${n.output![0]}: only 'same' stride-1 convolutions are checked`);
    const tensors = { name: n.output![0]!, input: input.data as Float32Array, output: output.data as Float32Array, layout: 'nchw' as const };
    line.push(`onnxruntime ${tensors.name} ${countTies({ ...tensors, shape: [h!, w!, cin!, output.dims[1]!] }, tallies.onnxruntime[k]!)} split`);
  });
  const outs = tf.tidy(() => probe.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor[]);
  convLayers.forEach((l, k) => {
    const [input, output] = [outs[2 * k]!, outs[2 * k + 1]!];
    const [, h, w, cin] = input.shape as number[];
    const tensors = { name: l.name, input: input.dataSync() as Float32Array, output: output.dataSync() as Float32Array, layout: 'nhwc' as const };
    line.push(`tfjs ${l.name} ${countTies({ ...tensors, shape: [h!, w!, cin!, output.shape[3]!] }, tallies.tfjs[k]!)} split`);
  });
  tf.dispose(outs);
  console.log(`test image ${image}: ${line.join(', ')}`);
}
for (const [side, list] of Object.entries(tallies))
  list.forEach((t, k) =>
    console.log(
      `${side} conv ${k + 1}${side === 'onnxruntime' ? ` (level ${values.level})` : ` (${backend})`}: pairs of identical neighbourhoods, output values kept equal ${t.kept}, split ${t.split} (largest ${t.largest})`,
    ),
  );
