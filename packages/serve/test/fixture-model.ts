/**
 * Writes small ONNX models with the serving contract (input `input` float32
 * [N,1,28,28]; outputs `logits` and `probabilities` [N,10]; metadata_props),
 * for tests to run before the real exported models exist.
 *
 * The graph is Flatten -> MatMul -> Add -> (logits) -> Softmax. With class
 * means as weights it is a nearest-centroid classifier: not accurate, but
 * deterministic, fast, and its answers depend on the image.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { CLASS_NAMES, IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';

const { onnx } = onnxProto;

function tensor(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Nearest-centroid weights: score_c = x . mu_c - |mu_c|^2 / 2 (x in [0,1]). */
export function centroidWeights(split: Split): { weights: Float32Array; bias: Float32Array } {
  const sums = new Float64Array(NUM_CLASSES * IMAGE_PIXELS);
  const counts = new Float64Array(NUM_CLASSES);
  for (let i = 0; i < split.count; i++) {
    const l = split.labels[i]!;
    counts[l]!++;
    for (let p = 0; p < IMAGE_PIXELS; p++) sums[l * IMAGE_PIXELS + p]! += split.images[i * IMAGE_PIXELS + p]! / 255;
  }
  const weights = new Float32Array(IMAGE_PIXELS * NUM_CLASSES); // [784, 10]
  const bias = new Float32Array(NUM_CLASSES);
  for (let c = 0; c < NUM_CLASSES; c++) {
    let norm = 0;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const mu = sums[c * IMAGE_PIXELS + p]! / Math.max(1, counts[c]!);
      weights[p * NUM_CLASSES + c] = mu;
      norm += mu * mu;
    }
    bias[c] = -norm / 2;
  }
  return { weights, bias };
}

/** Deterministic pseudo-random weights, for when no data is around. */
export function randomWeights(seed = 1): { weights: Float32Array; bias: Float32Array } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const weights = new Float32Array(IMAGE_PIXELS * NUM_CLASSES).map(() => rand() * 0.2);
  const bias = new Float32Array(NUM_CLASSES).map(() => rand());
  return { weights, bias };
}

export function buildFixtureModel({ weights, bias }: { weights: Float32Array; bias: Float32Array }, name: string): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'fmnist-serve-test-fixture',
    producerVersion: '0.1.0',
    docString: `test fixture '${name}': nearest-centroid linear classifier`,
    metadataProps: [
      { key: 'class_names', value: JSON.stringify(CLASS_NAMES) },
      { key: 'preprocessing', value: 'float32 [N,1,28,28] = bytes/255, garment bright on black' },
      { key: 'exporter_version', value: 'fixture' },
    ],
    graph: {
      name,
      node: [
        { opType: 'Flatten', input: ['input'], output: ['flat'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: 'MatMul', input: ['flat', 'W'], output: ['mm'] },
        { opType: 'Add', input: ['mm', 'B'], output: ['logits'] },
        { opType: 'Softmax', input: ['logits'], output: ['probabilities'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
      ],
      initializer: [tensor('W', [IMAGE_PIXELS, NUM_CLASSES], weights), tensor('B', [NUM_CLASSES], bias)],
      input: [valueInfo('input', ['N', 1, 28, 28])],
      output: [valueInfo('logits', ['N', NUM_CLASSES]), valueInfo('probabilities', ['N', NUM_CLASSES])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Writes cnn.onnx and mlp.onnx fixtures into `dir`. */
export async function writeFixtureModels(dir: string, split?: Split): Promise<void> {
  await mkdir(dir, { recursive: true });
  const main = split ? centroidWeights(split) : randomWeights(1);
  await writeFile(join(dir, 'cnn.onnx'), buildFixtureModel(main, 'cnn'));
  await writeFile(join(dir, 'mlp.onnx'), buildFixtureModel(randomWeights(2), 'mlp'));
}
