import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.ts';
import { defaultRecipe, type Recipe } from '../recipe.ts';
import { averageWeights, checkSoupRecipes, SoupError } from './soup.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const dense = (seed: number) => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.batchNormalization(),
      tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  // Distinct batch-norm statistics (getWeights lists them last, after the trainable weights), so that they are averaged like the rest.
  const w = model.getWeights();
  w[w.length - 2] = tf.fill([4], seed);
  w[w.length - 1] = tf.fill([4], seed + 0.5);
  model.setWeights(w);
  return model;
};

describe('averageWeights', () => {
  it('is the share-weighted mean of every tensor, batch-norm statistics included', () => {
    const [a, b] = [dense(1), dense(7)];
    const mean = averageWeights([a.getWeights(), b.getWeights()], [3, 1]);
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    expect(mean).toHaveLength(wa.length);
    mean.forEach((m, i) => {
      const want = Float32Array.from(wa[i]!.dataSync(), (v, j) => 0.75 * v + 0.25 * wb[i]!.dataSync()[j]!);
      expect(m.shape).toEqual(wa[i]!.shape);
      expect(Array.from(m.dataSync())).toEqual(Array.from(want).map((v) => expect.closeTo(v, 6)));
    });
    // The moving mean of the batch norm: 0.75 * 1 + 0.25 * 7.
    expect(Array.from(mean[mean.length - 2]!.dataSync())).toEqual([2.5, 2.5, 2.5, 2.5]);
  });

  it('gives back a model unchanged when it is souped with itself', () => {
    const a = dense(3);
    const x = tf.tensor2d([
      [0.1, -2, 0.5],
      [1, 1, 1],
    ]);
    const before = (a.predict(x) as tf.Tensor).dataSync();
    a.setWeights(averageWeights([a.getWeights(), a.getWeights(), a.getWeights()], [1, 2, 5]));
    const after = (a.predict(x) as tf.Tensor).dataSync();
    Array.from(after).forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 5));
  });

  it('refuses models of other shapes, and shares that are not positive', () => {
    const other = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 5 }), tfl.layers.batchNormalization(), tfl.layers.dense({ units: 2 })],
    });
    expect(() => averageWeights([dense(1).getWeights(), other.getWeights()], [1, 1])).toThrow(/weight 0 of model 2 has shape \[3,5\]/);
    expect(() => averageWeights([dense(1).getWeights(), dense(2).getWeights()], [1, 0])).toThrow(SoupError);
    expect(() => averageWeights([dense(1).getWeights()], [1, 1])).toThrow(/1 weight lists but 2 shares/);
  });
});

describe('checkSoupRecipes', () => {
  const base: Recipe = defaultRecipe('cnn');
  it('accepts runs that differ in training only (augmentation, learning rate, batch order)', () => {
    const other: Recipe = { ...base, learningRate: 0.0001, shuffleSeed: 45, augment: { maxRotationDeg: 0, flipProbability: 0.5, maxShift: 0, pixelDrop: 0.2 } };
    expect(() =>
      checkSoupRecipes([
        { run: 'a', recipe: base },
        { run: 'b', recipe: other },
      ]),
    ).not.toThrow();
  });

  it.each([
    ['seed', { seed: base.seed + 1 }],
    ['validationCount', { validationCount: 1000 }],
    ['model', { model: 'mlp' as const }],
    ['batchNorm', { batchNorm: !base.batchNorm }],
  ])('refuses runs that differ in %s', (field, change) => {
    expect(() =>
      checkSoupRecipes([
        { run: 'a', recipe: base },
        { run: 'b', recipe: { ...base, ...change } },
      ]),
    ).toThrow(new RegExp(`b differs from a in ${field}`));
  });

  it('needs two runs', () => {
    expect(() => checkSoupRecipes([{ run: 'a', recipe: base }])).toThrow(SoupError);
  });
});
