import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { fit } from '../src/fit.ts';
import { defaultRecipe, type Recipe } from '../src/recipe.ts';
import { buildRecipeModel, setWeightValues } from '../src/model/recipe-model.ts';
import { syntheticSplit } from './synthetic.ts';

describe('data-parallel training (gradient worker threads)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('two workers take the same steps as one process when the step is deterministic', async () => {
    const split = syntheticSplit(1200);
    // No dropout: the only difference left is the order of float sums. Valid padding: with 'same', weights
    // that mostly see the zero border get gradients near 0, where Adam's normalized step turns a rounding
    // difference into a full learning-rate step (1e-3), which says nothing about the all-reduce.
    const recipe: Recipe = { ...defaultRecipe('cnn'), epochs: 1, batchSize: 100, dropout: 0, convDropout: 0, padding: 'valid', validationCount: 200 };
    const single = await fit(split, recipe, { workers: 1 });
    const double = await fit(split, recipe, { workers: 2 });
    const a = single.model.getWeights();
    const b = double.model.getWeights();
    expect(b.length).toBe(a.length);
    let maxDiff = 0;
    let maxMoved = 0;
    const initial = buildRecipeModel(recipe).getWeights();
    a.forEach((w, i) => {
      maxDiff = Math.max(maxDiff, tf.max(tf.abs(tf.sub(w, b[i]!))).dataSync()[0]!);
      maxMoved = Math.max(maxMoved, tf.max(tf.abs(tf.sub(w, initial[i]!))).dataSync()[0]!);
    });
    // Ten Adam steps moved the weights by ~1e-2; the two runs agree to far less.
    expect(maxMoved).toBeGreaterThan(1e-3);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(double.history[0]!.loss).toBeCloseTo(single.history[0]!.loss, 4);
    expect(double.history[0]!.valAccuracy).toBe(single.history[0]!.valAccuracy);
  });

  it.each([1, 2])('fine-tuning starts from the given weights (%i worker(s)), and mismatched weights are refused', async (workers) => {
    const split = syntheticSplit(400);
    const recipe: Recipe = { ...defaultRecipe('cnn'), epochs: 1, batchSize: 100, learningRate: 0, padding: 'valid', validationCount: 100 };
    // Another seed's initialization stands in for a trained run; with a zero learning rate nothing may move it.
    const start = buildRecipeModel({ ...recipe, seed: 7 })
      .getWeights()
      .map((w) => w.dataSync() as Float32Array);
    const { model } = await fit(split, recipe, { workers, initialWeights: start });
    model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(start[i]!)));
    expect(() => setWeightValues(buildRecipeModel({ ...recipe, padding: 'same' }), start)).toThrow(/needs \[/);
  });

  it('distillation reaches both steppers: A = 0 trains exactly as without it, and two workers take the steps of one', async () => {
    const split = syntheticSplit(600);
    // Deterministic steps, as in the first test; the MLP stands in for a trained teacher (any architecture can teach).
    const recipe: Recipe = { ...defaultRecipe('cnn'), epochs: 1, batchSize: 100, dropout: 0, convDropout: 0, padding: 'valid', validationCount: 100 };
    const teacher = buildRecipeModel({ ...defaultRecipe('mlp'), seed: 7 });
    const distilled = (weight: number): Recipe => ({ ...recipe, distill: { from: 'a teacher', weight, temperature: 2 } });
    let logitsFor = 0;
    const weightsOf = async (r: Recipe, workers: number) =>
      (await fit(split, r, { workers, teacher, hooks: { onTeacherLogits: (n) => (logitsFor = n) } })).model
        .getWeights()
        .map((w) => w.dataSync() as Float32Array);
    const maxDiff = (a: Float32Array[], b: Float32Array[]) => a.reduce((m, w, i) => w.reduce((mw, v, j) => Math.max(mw, Math.abs(v - b[i]![j]!)), m), 0);
    const plain = await weightsOf(recipe, 1);
    expect(logitsFor).toBe(0);
    const zero = await weightsOf(distilled(0), 1);
    expect(logitsFor).toBe(500);
    zero.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(plain[i]!)));
    const one = await weightsOf(distilled(0.5), 1);
    const two = await weightsOf(distilled(0.5), 2);
    // The teacher moved the weights (Adam's first steps are ~1e-3 each), and both steppers moved them alike.
    expect(maxDiff(one, plain)).toBeGreaterThan(1e-4);
    expect(maxDiff(two, one)).toBeLessThan(2e-5);
    await expect(fit(split, distilled(0.5), { workers: 1 })).rejects.toThrow(/none was loaded/);
  });

  it('a shuffle seed changes the batches, flips and dropout masks, and nothing else', async () => {
    const split = syntheticSplit(600);
    const recipe: Recipe = {
      ...defaultRecipe('cnn'),
      epochs: 1,
      batchSize: 100,
      padding: 'valid',
      validationCount: 100,
      augment: { maxRotationDeg: 0, flipProbability: 0.5, maxShift: 0 },
    };
    const loss = async (r: Recipe) => (await fit(split, r, { workers: 2 })).history[0]!.loss;
    const base = await loss(recipe);
    expect(await loss(recipe)).toBe(base);
    expect(await loss({ ...recipe, shuffleSeed: recipe.seed })).toBe(base);
    expect(await loss({ ...recipe, shuffleSeed: 5 })).not.toBe(base);
  });
});
