import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/model/architectures.ts';
import { forwardFlopsPerImage } from '../src/model/flops.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const summary = (kind: 'mlp' | 'cnn', batchNorm = false) =>
  buildModel(kind, { batchNorm }).layers.map((l) => ({ cls: l.getClassName(), shape: (l.outputShape as number[]).slice(1), params: l.countParams() }));

describe('architectures', () => {
  it('MLP: 784 -> 256 -> 128 -> 10 with dropout 0.3', () => {
    const layers = summary('mlp');
    expect(layers).toEqual([
      { cls: 'Flatten', shape: [784], params: 0 },
      { cls: 'Dense', shape: [256], params: 784 * 256 + 256 },
      { cls: 'Dropout', shape: [256], params: 0 },
      { cls: 'Dense', shape: [128], params: 256 * 128 + 128 },
      { cls: 'Dropout', shape: [128], params: 0 },
      { cls: 'Dense', shape: [10], params: 128 * 10 + 10 },
    ]);
    expect(buildModel('mlp').countParams()).toBe(235_146);
  });

  it('CNN: conv32 3x3 + pool, conv64 3x3 + pool, dense 128, 10 outputs', () => {
    expect(summary('cnn')).toEqual([
      { cls: 'InputLayer', shape: [28, 28, 1], params: 0 },
      { cls: 'Conv2D', shape: [26, 26, 32], params: 3 * 3 * 32 + 32 },
      { cls: 'MaxPooling2D', shape: [13, 13, 32], params: 0 },
      { cls: 'Conv2D', shape: [11, 11, 64], params: 3 * 3 * 32 * 64 + 64 },
      { cls: 'MaxPooling2D', shape: [5, 5, 64], params: 0 },
      { cls: 'Flatten', shape: [1600], params: 0 },
      { cls: 'Dense', shape: [128], params: 1600 * 128 + 128 },
      { cls: 'Dropout', shape: [128], params: 0 },
      { cls: 'Dense', shape: [10], params: 128 * 10 + 10 },
    ]);
    expect(buildModel('cnn').countParams()).toBe(225_034);
  });

  it("CNN with 'same' padding and conv dropout: 28x28 and 14x14 maps, a 7x7x64 flatten", () => {
    const layers = buildModel('cnn', { padding: 'same', convDropout: 0.3 }).layers.map((l) => ({
      cls: l.getClassName(),
      shape: (l.outputShape as number[]).slice(1),
      params: l.countParams(),
    }));
    expect(layers).toEqual([
      { cls: 'InputLayer', shape: [28, 28, 1], params: 0 },
      { cls: 'Conv2D', shape: [28, 28, 32], params: 3 * 3 * 32 + 32 },
      { cls: 'MaxPooling2D', shape: [14, 14, 32], params: 0 },
      { cls: 'Dropout', shape: [14, 14, 32], params: 0 },
      { cls: 'Conv2D', shape: [14, 14, 64], params: 3 * 3 * 32 * 64 + 64 },
      { cls: 'MaxPooling2D', shape: [7, 7, 64], params: 0 },
      { cls: 'Dropout', shape: [7, 7, 64], params: 0 },
      { cls: 'Flatten', shape: [3136], params: 0 },
      { cls: 'Dense', shape: [128], params: 3136 * 128 + 128 },
      { cls: 'Dropout', shape: [128], params: 0 },
      { cls: 'Dense', shape: [10], params: 128 * 10 + 10 },
    ]);
  });

  it('batch-norm variant: bias-free conv/dense, then BatchNormalization and ReLU', () => {
    const layers = summary('cnn', true);
    expect(layers.map((l) => l.cls).slice(1, 5)).toEqual(['Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D']);
    expect(layers[1]!.params).toBe(3 * 3 * 32);
    // gamma, beta, moving mean and moving variance per channel
    expect(layers[2]!.params).toBe(4 * 32);
    expect(layers.at(-1)).toEqual({ cls: 'Dense', shape: [10], params: 1290 });
  });

  it('outputs logits for a batch of inputs', () => {
    const y = buildModel('cnn').predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([3, 10]);
  });
});

describe('resnet', () => {
  it('ResNet-20: stem, three stages of three blocks at 16/32/64 channels on 28/14/7 maps, projections where the shape changes, GAP head', () => {
    const model = buildModel('resnet', { depth: 20, width: 16 });
    const shapeOf = (name: string) => (model.getLayer(name).outputShape as number[]).slice(1);
    expect(shapeOf('stem_relu')).toEqual([28, 28, 16]);
    expect(shapeOf('s1b3_relu2')).toEqual([28, 28, 16]);
    expect(shapeOf('s2b1_conv1')).toEqual([14, 14, 32]);
    expect(shapeOf('s3b3_relu2')).toEqual([7, 7, 64]);
    expect(shapeOf('pool')).toEqual([64]);
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes.filter((c) => c === 'Conv2D')).toHaveLength(19 + 2);
    expect(classes.filter((c) => c === 'Add')).toHaveLength(9);
    // Projections only into stages 2 and 3: 1x1 stride-2 convs.
    expect(model.layers.filter((l) => l.name.endsWith('_proj')).map((l) => l.name)).toEqual(['s2b1_proj', 's3b1_proj']);
    // 19 3x3 convs + 2 projections + BN (gamma, beta, two statistics) + the Dense: the usual ~0.27M.
    expect(model.countParams()).toBe(273_754);
  });

  it('refuses a depth that is not 6n + 2', () => {
    expect(() => buildModel('resnet', { depth: 18 })).toThrow(/6n \+ 2/);
  });

  it('outputs logits for a batch, seeded: the same seed builds the same weights', () => {
    const a = buildModel('resnet', { depth: 8, width: 4, seed: 3 });
    const b = buildModel('resnet', { depth: 8, width: 4, seed: 3 });
    const y = a.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(Array.from(y.dataSync())).toEqual(Array.from((b.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor).dataSync()));
  });
});

describe('forward FLOPs per image', () => {
  it('counts 2 x multiply-adds of convs and dense layers, as by hand for the plain CNN and ResNet-20', () => {
    // conv1 26x26x32 of 3x3x1, conv2 11x11x64 of 3x3x32, dense 1600->128, 128->10.
    const cnn = 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 1600 * 128 + 128 * 10);
    expect(forwardFlopsPerImage(buildModel('cnn'))).toBe(cnn);
    // Stem; stage 1: six 3x3 16->16 at 28x28; stage 2: 3x3 16->32, five 32->32, a 1x1 projection at 14x14; stage 3 likewise at 7x7; the classifier.
    const macs = 28 * 28 * 16 * 9 + 6 * 28 * 28 * 16 * 16 * 9 + 14 * 14 * 32 * (9 * 16 + 5 * 9 * 32 + 16) + 7 * 7 * 64 * (9 * 32 + 5 * 9 * 64 + 32) + 64 * 10;
    expect(forwardFlopsPerImage(buildModel('resnet', { depth: 20, width: 16 }))).toBe(2 * macs);
  });
});
