import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES, acceptMask } from '@fmnist/core';
import { selectBackend } from '../backend/select.ts';
import { acceptHits, acceptTensor, trainingLoss } from './loss.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const logitRows = [
  [2, 0.5, -1, 0, 0, 0.3, 0, 0, 1, -2],
  [0, 0, 0, 3, 0, 0, 0, 0, 0, 0],
  [0.2, -0.4, 1.5, 0, 0.7, 2.5, -1, 1.2, 0, 0.9],
];
const softmax = (row: number[]) => {
  const e = row.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('training loss on one-hot sets', () => {
  const labels = [0, 7, 5];
  const accept = Uint16Array.from(labels, (l) => acceptMask([l]));

  it.each([0, 0.1])('equals tfjs softmaxCrossEntropy with label smoothing %s', (smoothing) => {
    const ours = trainingLoss(acceptTensor(accept), tf.tensor2d(logitRows), smoothing, tf.Reduction.SUM).dataSync()[0]!;
    const reference = tf.losses
      .softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES), tf.tensor2d(logitRows), undefined, smoothing, tf.Reduction.SUM)
      .dataSync()[0]!;
    expect(ours).toBeCloseTo(reference, 4);
  });

  it('averages with SUM_BY_NONZERO_WEIGHTS', () => {
    const sum = trainingLoss(acceptTensor(accept), tf.tensor2d(logitRows), 0, tf.Reduction.SUM).dataSync()[0]!;
    const mean = trainingLoss(acceptTensor(accept), tf.tensor2d(logitRows), 0, tf.Reduction.SUM_BY_NONZERO_WEIGHTS).dataSync()[0]!;
    expect(mean).toBeCloseTo(sum / 3, 5);
  });
});

/** Far below any logit: exp() of it is 0 in float32, and 0 times it is 0 (unlike -Infinity). */
const OUT = -1e9;

/**
 * The partial-label loss from tfjs's own softmaxCrossEntropy, independently of
 * trainingLoss: merging the accepted classes into one class whose logit is
 * their log-sum-exp makes its softmax probability the sum of theirs, so the
 * loss is tfjs's cross-entropy with that merged class (column 0) as the label.
 * Differentiable, so tfjs autodiff gives the reference gradient too.
 */
function tfjsPartialLoss(sets: number[][], z: tf.Tensor2D): tf.Scalar {
  const member = tf.tensor2d(sets.map((set) => Array.from({ length: NUM_CLASSES }, (_, c) => (set.includes(c) ? 1 : 0))));
  const merged = tf.logSumExp(tf.add(z, tf.mul(tf.sub(1, member), OUT)), 1, true);
  const logits = tf.concat([merged, tf.add(z, tf.mul(member, OUT))], 1);
  const labels = tf.oneHot(tf.zeros([sets.length], 'int32'), NUM_CLASSES + 1);
  return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.SUM) as tf.Scalar;
}

describe('partial-label loss on accept sets', () => {
  // Row 0: "some shoe" (Sandal, Sneaker, Ankle boot); row 1: a long-sleeved top; row 2: one class.
  const sets = [[5, 7, 9], [2, 0, 4, 6], [5]];
  const accept = Uint16Array.from(sets, (s) => acceptMask(s));

  it("equals tfjs's softmaxCrossEntropy with the accepted classes merged into one", () => {
    const reference = tfjsPartialLoss(sets, tf.tensor2d(logitRows)).dataSync()[0]!;
    const ours = trainingLoss(acceptTensor(accept), tf.tensor2d(logitRows), 0, tf.Reduction.SUM).dataSync()[0]!;
    expect(ours).toBeCloseTo(reference, 4);
    // The singleton set is plain cross-entropy: tfjs's loss on that row alone.
    const single = tf.losses
      .softmaxCrossEntropy(tf.oneHot(tf.tensor1d([5], 'int32'), NUM_CLASSES), tf.tensor2d([logitRows[2]!]), undefined, 0, tf.Reduction.SUM)
      .dataSync()[0]!;
    expect(trainingLoss(acceptTensor(accept.subarray(2)), tf.tensor2d([logitRows[2]!]), 0, tf.Reduction.SUM).dataSync()[0]).toBeCloseTo(single, 5);
  });

  it('has the gradient of that tfjs reference (tfjs autodiff of softmaxCrossEntropy), softmax(z) - softmax(z restricted to the set)', () => {
    const grad = tf
      .grad((z: tf.Tensor) => trainingLoss(acceptTensor(accept), z as tf.Tensor2D, 0, tf.Reduction.SUM))(tf.tensor2d(logitRows))
      .arraySync() as number[][];
    const reference = tf
      .grad((z: tf.Tensor) => tfjsPartialLoss(sets, z as tf.Tensor2D))(tf.tensor2d(logitRows))
      .arraySync() as number[][];
    grad.forEach((row, i) => row.forEach((g, c) => expect(g).toBeCloseTo(reference[i]![c]!, 5)));
    logitRows.forEach((row, i) => {
      const p = softmax(row);
      const inSet = sets[i]!.reduce((s, c) => s + p[c]!, 0);
      row.forEach((_, c) => {
        const expected = p[c]! - (sets[i]!.includes(c) ? p[c]! / inSet : 0);
        expect(grad[i]![c]).toBeCloseTo(expected, 5);
      });
    });
  });

  it('is zero when every class is accepted, and never rewards a rejected class', () => {
    const all = Uint16Array.of(acceptMask([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(trainingLoss(acceptTensor(all), tf.tensor2d([logitRows[2]!]), 0, tf.Reduction.SUM).dataSync()[0]).toBeCloseTo(0, 5);
    const grad = tf
      .grad((z: tf.Tensor) => trainingLoss(acceptTensor(accept), z as tf.Tensor2D, 0, tf.Reduction.SUM))(tf.tensor2d(logitRows))
      .arraySync() as number[][];
    // Descending the loss lowers every rejected class's logit.
    sets.forEach((set, i) => grad[i]!.forEach((g, c) => !set.includes(c) && expect(g).toBeGreaterThan(0)));
  });

  it("'max' equals tfjs's softmaxCrossEntropy on the top accepted class, gradient included", () => {
    // Sets whose top accepted logit is unique (tfjs's Max gradient goes to every tied maximum).
    const maxSets = [[5, 7, 9], [3, 0, 4], [5]];
    const maxAccept = Uint16Array.from(maxSets, (s) => acceptMask(s));
    const best = logitRows.map((row, i) => maxSets[i]!.reduce((b, c) => (row[c]! > row[b]! ? c : b)));
    const reference = (z: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(best, 'int32'), NUM_CLASSES), z, undefined, 0, tf.Reduction.SUM) as tf.Scalar;
    const loss = (z: tf.Tensor) => trainingLoss(acceptTensor(maxAccept), z as tf.Tensor2D, 0, tf.Reduction.SUM, 'max');
    expect(loss(tf.tensor2d(logitRows)).dataSync()[0]).toBeCloseTo(reference(tf.tensor2d(logitRows)).dataSync()[0]!, 4);
    const grad = tf.grad(loss)(tf.tensor2d(logitRows)).arraySync() as number[][];
    const expected = tf.grad(reference)(tf.tensor2d(logitRows)).arraySync() as number[][];
    grad.forEach((row, i) => row.forEach((g, c) => expect(g).toBeCloseTo(expected[i]![c]!, 5)));
  });

  it('counts a hit when the top class is in the set', () => {
    // Row 0's top class is 0 (not a shoe), row 1's is 3 (not a top), row 2's is 5 (accepted).
    expect(acceptHits(acceptTensor(accept), tf.tensor2d(logitRows)).dataSync()[0]).toBe(1);
  });
});
