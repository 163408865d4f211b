/**
 * Small ONNX models with the serving contract (input `input` float32
 * [N,1,28,28]; outputs `logits`, `probabilities` [N,10]), for the browser
 * tests to run before the exported models exist. Flatten -> MatMul -> Add
 * -> Softmax; with class means as weights it is a nearest-centroid
 * classifier: its answers depend on the image, which is all the tests need.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { CLASS_NAMES, IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

interface Weights {
  weights: Float32Array; // [784, 10]
  bias: Float32Array; // [10]
}

/** score_c = x . mu_c - |mu_c|^2 / 2: the nearest class mean wins. */
export function centroidWeights(split: Split, limit = split.count): Weights {
  const sums = new Float64Array(NUM_CLASSES * IMAGE_PIXELS);
  const counts = new Float64Array(NUM_CLASSES);
  for (let i = 0; i < Math.min(limit, split.count); i++) {
    const l = split.labels[i]!;
    counts[l]!++;
    for (let p = 0; p < IMAGE_PIXELS; p++) sums[l * IMAGE_PIXELS + p]! += split.images[i * IMAGE_PIXELS + p]! / 255;
  }
  const weights = new Float32Array(IMAGE_PIXELS * NUM_CLASSES);
  const bias = new Float32Array(NUM_CLASSES);
  for (let c = 0; c < NUM_CLASSES; c++) {
    let norm = 0;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const mu = sums[c * IMAGE_PIXELS + p]! / Math.max(1, counts[c]!);
      weights[p * NUM_CLASSES + c] = mu * 8; // sharper softmax, so top-1 is rarely a near-tie
      norm += mu * mu;
    }
    bias[c] = (-norm / 2) * 8;
  }
  return { weights, bias };
}

/** Seeded pseudo-random weights, when no data is around. */
export function randomWeights(seed: number): Weights {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  return { weights: new Float32Array(IMAGE_PIXELS * NUM_CLASSES).map(() => rand() * 0.5), bias: new Float32Array(NUM_CLASSES).map(() => rand()) };
}

function tensor(name: string, dims: number[], values: Float32Array) {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function valueInfo(name: string, dims: (number | string)[]) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

export function fixtureModel({ weights, bias }: Weights, name: string): Uint8Array {
  const axis1 = [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'fmnist-web-demo-test-fixture',
    docString: `test fixture '${name}': linear classifier`,
    metadataProps: [{ key: 'class_names', value: JSON.stringify(CLASS_NAMES) }],
    graph: {
      name,
      node: [
        { opType: 'Flatten', input: ['input'], output: ['flat'], attribute: axis1 },
        { opType: 'MatMul', input: ['flat', 'W'], output: ['mm'] },
        { opType: 'Add', input: ['mm', 'B'], output: ['logits'] },
        { opType: 'Softmax', input: ['logits'], output: ['probabilities'], attribute: axis1 },
      ],
      initializer: [tensor('W', [IMAGE_PIXELS, NUM_CLASSES], weights), tensor('B', [NUM_CLASSES], bias)],
      input: [valueInfo('input', ['N', 1, 28, 28])],
      output: [valueInfo('logits', ['N', NUM_CLASSES]), valueInfo('probabilities', ['N', NUM_CLASSES])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** cnn.onnx (centroids when data is given, so answers track the image) and mlp.onnx (different weights, so a model switch shows). */
export async function writeFixtureModels(dir: string, split?: Split): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cnn.onnx'), fixtureModel(split ? centroidWeights(split) : randomWeights(1), 'cnn'));
  await writeFile(join(dir, 'mlp.onnx'), fixtureModel(split ? centroidWeights(split, 200) : randomWeights(2), 'mlp'));
}
