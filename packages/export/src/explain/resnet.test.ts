import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { bytesToInput, IMAGE_PIXELS, METADATA_KEYS } from '@fmnist/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomizeWeights, rng } from '../../test/helpers.ts';
import { architectures, saveRunDir } from '../../test/run-dir.ts';
import { specFromLayersModel } from '../model/spec.ts';
import { decodeModel } from '../onnx/proto.ts';
import { openCpuSession } from '../ort.ts';
import type { ImageSet } from '../parity.ts';
import { exportRunDir } from '../pipeline.ts';
import { useCpuBackend } from '../tfjs.ts';
import { DEFAULT_EXPLANATION, explainClassTensor, explanationChoiceFor, MAP_SIZE, SHIPPED_EXPLANATIONS, TOP_CLASS, type ExplainTarget } from './contract.ts';
import { buildExplanationGraph } from './graph.ts';
import { modelKindOf } from './kind.ts';
import { compareExplanations, EXPLAIN_PARITY_LIMITS, explainParityMarkdown, referenceOptionsOf } from './parity.ts';
import { normaliseMaps } from './reference.ts';
import { runExplanation } from './run.ts';

// A ResNet-8 as train builds it (strided 'same' convs with TF's asymmetric
// pads, 1x1 stride-2 projections, BN with random moving statistics, Add,
// GAP), randomly initialised, explained by its ONNX graph and by tfjs's
// own autodiff on a few dozen garment-like images.
const IMAGES = 33; // parityClass covers every class and the top-class path three times

/** Seeded images: an ellipse of random non-zero pixels on a zero background, as a garment on Fashion-MNIST's. */
function garmentImages(count: number, seed: number): ImageSet {
  const next = rng(seed);
  const images = new Uint8Array(count * IMAGE_PIXELS);
  for (let k = 0; k < count; k++) {
    const [cy, cx, ry, rx] = [11 + 6 * next(), 11 + 6 * next(), 6 + 7 * next(), 4 + 8 * next()];
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) images[k * IMAGE_PIXELS + y * 28 + x] = 1 + Math.floor(254 * next());
      }
    }
  }
  return { count, images, labels: new Uint8Array(count) };
}

const attribute = (node: { attribute?: { name?: string | null; ints?: unknown[] | null }[] | null }, name: string) =>
  node.attribute!.find((a) => a.name === name)?.ints?.map(Number);

describe('ResNet explanation graph (residual DAG) vs tfjs autodiff', () => {
  let model: tfl.LayersModel;
  const set = garmentImages(IMAGES, 7);
  beforeAll(async () => {
    await useCpuBackend();
    model = architectures.resnet(8, 8);
    randomizeWeights(model, 15);
  });
  afterAll(() => model.dispose());

  it.each(['logit', 'log-probability'] as ExplainTarget[])(
    `explains the %s within ${EXPLAIN_PARITY_LIMITS.relative} of each map's range: Grad-CAM, saliency and the input gradient`,
    async (target) => {
      const graph = buildExplanationGraph(specFromLayersModel(model), { name: 'resnet', choice: { target } });
      expect(graph.maps).toEqual(['gradcam', 'saliency']);
      expect(graph.gradCamLayer).toBe('s3b1_relu2');
      const session = await openCpuSession(graph.bytes);
      const [result] = await compareExplanations(model, [session], set, referenceOptionsOf(graph));
      console.log(`\n${explainParityMarkdown([{ model: 'ResNet-8 (random weights)', onnx: `${target} target`, ...result! }])}\n`);
      expect(result!.classDisagreement.unexplained).toEqual([]);
      expect(result!.maps.map((m) => m.map)).toEqual(['gradcam', 'saliency', 'input_gradient']);
      for (const m of result!.maps) {
        expect(m.count).toBe(IMAGES);
        expect(m.unexplained, `${m.map}: maps beyond the bound with no decision near its threshold`).toEqual([]);
        expect(m.nearThreshold).toBeLessThanOrEqual(Math.ceil(EXPLAIN_PARITY_LIMITS.nearThresholdShare * IMAGES));
        expect(m.zeroRange).toBeLessThan(IMAGES); // the maps are not trivially zero
      }
      await session.release();
    },
    600_000,
  );

  it('differentiates a strided conv by ConvTranspose with the forward pads and the output_padding of a stride, a stride-1 conv by a Conv on the flipped kernel, and sums the gradients where a block input fans out', () => {
    const nodes = decodeModel(buildExplanationGraph(specFromLayersModel(model), { name: 'resnet' }).bytes).graph!.node!;
    const transposed = nodes.filter((n) => n.opType === 'ConvTranspose');
    const convs = nodes.filter((n) => n.opType === 'Conv');
    // A backward conv reads a flipped kernel, made in the graph (its output may be renamed: the stem's is the input gradient).
    const producer = (tensor: string) => nodes.find((m) => m.output![0] === tensor);
    const backward = convs.filter((n) => producer(n.input![1]!)?.opType === 'Slice');
    // 9 forward convs (stem, 3 blocks x 2, 2 projections), each with one gradient op.
    expect(convs.length - backward.length).toBe(9);
    expect(transposed.length + backward.length).toBe(9);
    for (const n of backward) {
      expect(attribute(n, 'strides')).toEqual([1, 1]);
      expect(attribute(n, 'pads')).toEqual([1, 1, 1, 1]); // 3x3 'same': 3 - 1 - 1 on each side
      expect(producer(producer(n.input![1]!)!.input![0]!)!.opType).toBe('Transpose');
    }
    const strided = transposed
      .filter((n) => attribute(n, 'strides')![0] === 2)
      .map((n) => ({ kernel: attribute(n, 'kernel_shape'), pads: attribute(n, 'pads'), outputPadding: attribute(n, 'output_padding') }));
    // 3x3 stride 2 on 28 and 14: TF's 'same' pads (0, 1) and ConvTranspose restores the full size; a 1x1 stride 2 never reads the last row/col.
    expect(strided).toEqual(
      expect.arrayContaining([
        { kernel: [3, 3], pads: [0, 0, 1, 1], outputPadding: [0, 0] },
        { kernel: [1, 1], pads: [0, 0, 0, 0], outputPadding: [1, 1] },
      ]),
    );
    expect(strided).toHaveLength(4);
    // One gradient sum per block input (the conv path and the shortcut both read it), none elsewhere.
    expect(nodes.filter((n) => n.opType === 'Add' && n.output![0]!.includes('fan_out_sum'))).toHaveLength(3);
    expect(nodes.filter((n) => n.opType === 'Expand')).toHaveLength(1); // GAP backward
  });

  it('Grad-CAM of the logit through the GAP head equals the class activation map Σ_c W[c, k] · A_c (normalised)', async () => {
    const graph = buildExplanationGraph(specFromLayersModel(model), { name: 'resnet', choice: { target: 'logit' } });
    const session = await openCpuSession(graph.bytes);
    const n = 8;
    const input = bytesToInput(set.images.subarray(0, n * IMAGE_PIXELS));
    const classes = Array.from({ length: n }, (_, i) => (i % 2 ? TOP_CLASS : i));
    const out = await runExplanation(session, input, n, explainClassTensor(classes, n));
    const cam = tf.tidy(() => {
      const trunk = tfl.model({ inputs: model.inputs, outputs: model.getLayer('s3b1_relu2').output as tfl.SymbolicTensor });
      const maps = trunk.predict(tf.tensor4d(input, [n, 28, 28, 1])) as tf.Tensor4D; // [n, 7, 7, C]
      const [kernel] = model.getLayer('logits').getWeights() as [tf.Tensor2D]; // [C, 10]
      const weights = tf.gather(tf.transpose(kernel), tf.tensor1d(Array.from(out.explained, Number), 'int32')); // [n, C]
      const map = tf.relu(tf.sum(tf.mul(maps, tf.reshape(weights, [n, 1, 1, -1])), -1, true));
      return normaliseMaps(tf.image.resizeBilinear(map as tf.Tensor4D, [...MAP_SIZE], false, true));
    });
    const expected = cam.dataSync();
    cam.dispose();
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - out.gradcam![i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...out.gradcam!)).toBe(1);
    await session.release();
  });
});

describe('explanation choice of a model outside the shipped table', () => {
  let dir: string | undefined;
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("comes from its kind, read from its layers: a ResNet run gets the shipped ResNet's choice, shipped models keep their own", async () => {
    await useCpuBackend();
    const resnet = architectures.resnet();
    expect(modelKindOf(specFromLayersModel(resnet))).toBe('resnet');
    expect(modelKindOf(specFromLayersModel(architectures.cnnBatchNorm()))).toBe('cnn');
    expect(modelKindOf(specFromLayersModel(architectures.mlp()))).toBe('mlp');
    expect(explanationChoiceFor('my-run', 'resnet')).toEqual(SHIPPED_EXPLANATIONS.resnet);
    expect(explanationChoiceFor('resnet')).toEqual(SHIPPED_EXPLANATIONS.resnet);
    // The ResNet's deletion-test choice differs from the CNN's, so the kind, not a fallback, decided.
    expect(SHIPPED_EXPLANATIONS.resnet).not.toEqual(SHIPPED_EXPLANATIONS.cnn);
    expect(explanationChoiceFor('cnn-photo', 'cnn')).toEqual(SHIPPED_EXPLANATIONS['cnn-photo']);
    expect(explanationChoiceFor('my-run')).toEqual(DEFAULT_EXPLANATION);

    dir = await mkdtemp(join(tmpdir(), 'resnet-explain-'));
    await saveRunDir(resnet, join(dir, 'run'));
    resnet.dispose();
    const exported = await exportRunDir(join(dir, 'run'), 'some-resnet-run', { explain: true });
    const metadata = decodeModel(exported.explain!.bytes).metadataProps;
    const explanation = JSON.parse(metadata.find((p) => p.key === METADATA_KEYS.explanation)?.value ?? '{}') as Record<string, unknown>;
    expect(explanation).toMatchObject({ target: SHIPPED_EXPLANATIONS.resnet.target, heatmap: SHIPPED_EXPLANATIONS.resnet.heatmap });
    expect(exported.explain!.gradCamLayer).toBe('s3b1_relu2');
    exported.model.dispose();
  });
});
