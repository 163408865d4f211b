import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES, acceptMask } from '@fmnist/core';
import { selectBackend } from '../backend/select.ts';
import { acceptHits, acceptTensor, distillationLoss, teacherTensors, trainingLoss } from './loss.ts';

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

describe('distillation loss', () => {
  const labels = [0, 7, 5];
  const accept = Uint16Array.from(labels, (l) => acceptMask([l]));
  const teacherRows = [
    [1, 0.2, -0.5, 0.3, 0, 1.5, 0, -1, 0.8, -2],
    [0.1, 0, 0, 2, 0, 0, 0, 1, 0, 0],
    [-0.3, -0.4, 1, 0.2, 0.6, 3, -1, 1.4, 0.1, 0.5],
  ];
  const teacherOf = (rows: number[][]) => teacherTensors(Float32Array.from(rows.flat()));
  const noTeacher = Array.from({ length: NUM_CLASSES }, () => Number.NaN);
  const scalar = (t: tf.Tensor) => t.dataSync()[0]!;

  it('matches a hand-computed case, loss and gradient', () => {
    // z = 0: the model says 1/10 everywhere, at any temperature. Teacher t = [2 ln 9, 0, ...] at T = 2:
    // t/T = [ln 9, 0, ...], so p = [9/18, 1/18, ...] and KL(p ‖ q) = ½ ln(0.5/0.1) + 9·(1/18)·ln((1/18)/0.1) = ln(5/3).
    // Label 0: cross-entropy ln 10. A = ½: ½ ln 10 + ½·2²·ln(5/3).
    const z = tf.zeros([1, NUM_CLASSES]) as tf.Tensor2D;
    const teacher = teacherOf([[2 * Math.log(9), 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    const loss = (logits: tf.Tensor) =>
      distillationLoss(acceptTensor(Uint16Array.of(1)), logits as tf.Tensor2D, teacher, { weight: 0.5, temperature: 2 }, 0, tf.Reduction.SUM);
    expect(scalar(loss(z))).toBeCloseTo(0.5 * Math.log(10) + 2 * Math.log(5 / 3), 5);
    // (1-A)(q - y) + A·T·(q_T - p): class 0: ½(0.1 - 1) + 1·(0.1 - ½) = -0.85; others ½·0.1 + (0.1 - 1/18).
    const grad = tf.grad(loss)(z).dataSync();
    expect(grad[0]).toBeCloseTo(-0.85, 5);
    for (let c = 1; c < NUM_CLASSES; c++) expect(grad[c]).toBeCloseTo(0.05 + 0.1 - 1 / 18, 5);
  });

  /**
   * The same loss from tfjs's own softmaxCrossEntropy, independently of
   * distillationLoss: KL(p ‖ q) = CE(p, q) - H(p), and tfjs's cross-entropy
   * takes soft labels; tfjs autodiff of it gives the reference gradient.
   */
  function tfjsDistillation(z: tf.Tensor2D, rows: (number[] | null)[], a: number, t: number, smoothing: number): tf.Scalar {
    const terms = rows.map((row, i) => {
      const zi = tf.slice(z, [i, 0], [1, NUM_CLASSES]);
      const hard = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([labels[i]!], 'int32'), NUM_CLASSES), zi, undefined, smoothing, tf.Reduction.SUM);
      if (!row) return hard;
      const p = tf.softmax(tf.div(tf.tensor2d([row]), t));
      const entropy = tf.neg(tf.sum(tf.mul(p, tf.log(p))));
      const kl = tf.sub(tf.losses.softmaxCrossEntropy(p, tf.div(zi, t), undefined, 0, tf.Reduction.SUM), entropy);
      return tf.add(tf.mul(hard, 1 - a), tf.mul(kl, a * t * t));
    });
    return tf.addN(terms) as tf.Scalar;
  }

  it.each([
    [0.5, 2, 0],
    [0.3, 4, 0.1],
    [1, 1, 0],
  ])('equals the tfjs reference, gradient included (A %s, T %s, label smoothing %s)', (a, t, smoothing) => {
    const rows = [teacherRows[0]!, null, teacherRows[2]!];
    const teacher = teacherOf(rows.map((r) => r ?? noTeacher));
    const loss = (z: tf.Tensor) =>
      distillationLoss(acceptTensor(accept), z as tf.Tensor2D, teacher, { weight: a, temperature: t }, smoothing, tf.Reduction.SUM);
    const reference = (z: tf.Tensor) => tfjsDistillation(z as tf.Tensor2D, rows, a, t, smoothing);
    expect(scalar(loss(tf.tensor2d(logitRows)))).toBeCloseTo(scalar(reference(tf.tensor2d(logitRows))), 4);
    const grad = tf.grad(loss)(tf.tensor2d(logitRows)).arraySync() as number[][];
    const expected = tf.grad(reference)(tf.tensor2d(logitRows)).arraySync() as number[][];
    grad.forEach((row, i) => row.forEach((g, c) => expect(g).toBeCloseTo(expected[i]![c]!, 5)));
  });

  it('with A = 0 is trainingLoss exactly, loss and gradient, whatever the teacher says', () => {
    const teacher = teacherOf(teacherRows);
    for (const partial of ['sum', 'max'] as const)
      for (const smoothing of [0, 0.1]) {
        const ours = (z: tf.Tensor) =>
          distillationLoss(acceptTensor(accept), z as tf.Tensor2D, teacher, { weight: 0, temperature: 3 }, smoothing, tf.Reduction.SUM, partial);
        const plain = (z: tf.Tensor) => trainingLoss(acceptTensor(accept), z as tf.Tensor2D, smoothing, tf.Reduction.SUM, partial);
        expect(scalar(ours(tf.tensor2d(logitRows)))).toBe(scalar(plain(tf.tensor2d(logitRows))));
        expect(Array.from(tf.grad(ours)(tf.tensor2d(logitRows)).dataSync())).toEqual(Array.from(tf.grad(plain)(tf.tensor2d(logitRows)).dataSync()));
      }
  });

  it('rows without a teacher (NaN) contribute their plain term only, and their gradient is the plain one', () => {
    const weights = { weight: 0.7, temperature: 2 };
    const rows = [teacherRows[0]!, noTeacher, teacherRows[2]!];
    const { logits, taught } = teacherOf(rows);
    expect(Array.from(taught.dataSync())).toEqual([1, 0, 1]);
    // The NaN row becomes finite: a NaN would reach the gradient through tf.where's unselected branch.
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    const z = tf.tensor2d(logitRows);
    const mixed = (x: tf.Tensor) => distillationLoss(acceptTensor(accept), x as tf.Tensor2D, { logits, taught }, weights, 0, tf.Reduction.SUM, 'max');
    // The same batch with the photo row's loss taken apart: distillation on rows 0 and 2, trainingLoss on row 1.
    // Slices, not tf.gather: wasm has no kernel for gather's gradient.
    const rowsOf = (x: tf.Tensor, idx: number[]) => tf.concat(idx.map((i) => tf.slice(x, [i, 0], [1, NUM_CLASSES]))) as tf.Tensor2D;
    const split = (x: tf.Tensor) =>
      tf.add(
        distillationLoss(
          acceptTensor(Uint16Array.of(accept[0]!, accept[2]!)),
          rowsOf(x, [0, 2]),
          teacherOf([rows[0]!, rows[2]!]),
          weights,
          0,
          tf.Reduction.SUM,
          'max',
        ),
        trainingLoss(acceptTensor(accept.subarray(1, 2)), rowsOf(x, [1]), 0, tf.Reduction.SUM, 'max'),
      ) as tf.Scalar;
    expect(scalar(mixed(z))).toBeCloseTo(scalar(split(z)), 5);
    const grad = tf.grad(mixed)(z).arraySync() as number[][];
    const expected = tf.grad(split)(z).arraySync() as number[][];
    grad.forEach((row, i) => row.forEach((g, c) => expect(g).toBeCloseTo(expected[i]![c]!, 6)));
    const plainRow = tf
      .grad((x: tf.Tensor) => trainingLoss(acceptTensor(accept.subarray(1, 2)), x as tf.Tensor2D, 0, tf.Reduction.SUM, 'max'))(tf.tensor2d([logitRows[1]!]))
      .dataSync();
    grad[1]!.forEach((g, c) => expect(g).toBeCloseTo(plainRow[c]!, 6));
  });

  it('pulls the model towards the teacher: the teacher term vanishes at z = t and grows away from it', () => {
    const teacher = teacherOf(teacherRows);
    const kl = (z: tf.Tensor2D) => scalar(distillationLoss(acceptTensor(accept), z, teacher, { weight: 1, temperature: 2 }, 0, tf.Reduction.SUM));
    expect(kl(tf.tensor2d(teacherRows))).toBeCloseTo(0, 5);
    expect(kl(tf.tensor2d(logitRows))).toBeGreaterThan(0.1);
  });
});
