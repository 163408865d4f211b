/**
 * Small ONNX classifiers with the serving contract (input float32
 * [N,1,28,28]; outputs `logits` and `probabilities` [N,10]; class names in
 * the metadata), built with the exporter's own GraphBuilder, for serve's
 * and the browser's tests to run before the real exported models exist.
 * One place: serve's and web-demo's tests import it (`@fmnist/export/test/fixture-model`).
 *
 * The graph is Flatten -> MatMul -> Add -> (logits) -> Softmax. With class
 * means as weights it is a nearest-centroid classifier: not accurate, but
 * deterministic, fast, and its answers depend on the image.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASS_NAMES, IMAGE_PIXELS, INPUT_CONTRACT, NUM_CLASSES, OUTPUT_NAMES, type Split } from '@fmnist/core';
import { GraphBuilder } from '../src/onnx/graph-builder.ts';

export interface FixtureWeights {
  weights: Float32Array; // [784, 10]
  bias: Float32Array; // [10]
}

/**
 * score_c = gain * (x . mu_c - |mu_c|^2 / 2), x in [0,1]: the nearest class
 * mean of the first `limit` images wins. A gain above 1 sharpens the softmax,
 * so that top-1 is rarely a near-tie.
 */
export function centroidWeights(split: Split, { limit = split.count, gain = 1 }: { limit?: number; gain?: number } = {}): FixtureWeights {
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
      weights[p * NUM_CLASSES + c] = mu * gain;
      norm += mu * mu;
    }
    bias[c] = (-norm / 2) * gain;
  }
  return { weights, bias };
}

/** Seeded pseudo-random weights in [-spread/2, spread/2), for when no data is around. */
export function randomWeights(seed: number, spread: number): FixtureWeights {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return { weights: new Float32Array(IMAGE_PIXELS * NUM_CLASSES).map(() => rand() * spread), bias: new Float32Array(NUM_CLASSES).map(() => rand()) };
}

export function fixtureModel({ weights, bias }: FixtureWeights, name: string): Uint8Array {
  const g = new GraphBuilder();
  const [flat] = g.addNode('Flatten', [INPUT_CONTRACT.name], [g.uniqueName('flat')], { axis: 1 });
  const [mm] = g.addNode('MatMul', [flat!, g.addInitializer('W', weights, [IMAGE_PIXELS, NUM_CLASSES])], [g.uniqueName('mm')]);
  g.addNode('Add', [mm!, g.addInitializer('B', bias, [NUM_CLASSES])], [OUTPUT_NAMES.logits]);
  g.addNode('Softmax', [OUTPUT_NAMES.logits], [OUTPUT_NAMES.probabilities], { axis: 1 });
  return g.build({
    inputs: [{ name: INPUT_CONTRACT.name, dims: ['N', 1, 28, 28] }],
    outputs: [
      { name: OUTPUT_NAMES.logits, dims: ['N', NUM_CLASSES] },
      { name: OUTPUT_NAMES.probabilities, dims: ['N', NUM_CLASSES] },
    ],
    graphName: name,
    producerName: 'fmnist-test-fixture',
    producerVersion: '0.1.0',
    docString: `test fixture '${name}': nearest-centroid linear classifier`,
    metadata: {
      class_names: JSON.stringify(CLASS_NAMES),
      preprocessing: 'float32 [N,1,28,28] = bytes/255, garment bright on black',
      exporter_version: 'fixture',
    },
  });
}

/** Writes `cnn.onnx` and `mlp.onnx` into `dir`: different weights, so that a model switch shows. */
export async function writeFixtureModels(dir: string, models: { cnn: FixtureWeights; mlp: FixtureWeights }): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cnn.onnx'), fixtureModel(models.cnn, 'cnn'));
  await writeFile(join(dir, 'mlp.onnx'), fixtureModel(models.mlp, 'mlp'));
}

/** serve's fixtures: cnn from class means (random without data), mlp random. */
export function serveFixtureWeights(split?: Split): { cnn: FixtureWeights; mlp: FixtureWeights } {
  return { cnn: split ? centroidWeights(split) : randomWeights(1, 0.2), mlp: randomWeights(2, 0.2) };
}

/** The browser tests' fixtures: both from class means, sharpened 8x; mlp from 200 images only, so that its answers differ. */
export function browserFixtureWeights(split?: Split): { cnn: FixtureWeights; mlp: FixtureWeights } {
  if (!split) return { cnn: randomWeights(1, 0.5), mlp: randomWeights(2, 0.5) };
  return { cnn: centroidWeights(split, { gain: 8 }), mlp: centroidWeights(split, { limit: 200, gain: 8 }) };
}
