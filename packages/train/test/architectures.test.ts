import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/model/architectures.ts';

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
    const layers = buildModel('cnn', { padding: 'same', convDropout: 0.3 }).layers.map((l) => ({ cls: l.getClassName(), shape: (l.outputShape as number[]).slice(1), params: l.countParams() }));
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
