import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '@fmnist/core';

/** Accept bitmasks (bit c = class c counts as right) as a [n, 10] 0/1 tensor. */
export function acceptTensor(accept: Uint16Array): tf.Tensor2D {
  const m = new Float32Array(accept.length * NUM_CLASSES);
  for (let i = 0; i < accept.length; i++) for (let c = 0; c < NUM_CLASSES; c++) m[i * NUM_CLASSES + c] = (accept[i]! >>> c) & 1;
  return tf.tensor2d(m, [accept.length, NUM_CLASSES]);
}

/**
 * How a set of accepted classes is scored. 'sum': -log Σ_{c∈A} p_c, the
 * probability of the set as a whole. 'max': -log max_{c∈A} p_c, the
 * probability of the accepted class the model already prefers, which makes
 * it commit to one class of the set instead of spreading its probability
 * over all of them (a spread that a stated top-1 probability then
 * understates). Both are the usual cross-entropy for a one-class set.
 */
export type PartialLoss = 'sum' | 'max';

/**
 * The training loss over accept sets (see PartialLoss): "some shoe" teaches
 * the model that the answer is a shoe without a guess at which one; for a
 * one-hot set (every Fashion-MNIST image) it is softmax cross-entropy.
 * 'sum' is logsumexp(z) - logsumexp(z over A); 'max' is logsumexp(z) - max(z over A).
 * Label smoothing s mixes in the uniform target: (1-s)·that + s·(-mean_c log p_c),
 * which for one-hot sets is cross-entropy against targets 1-s+s/10 and s/10.
 * One definition for the in-process and the worker steppers.
 */
export function trainingLoss(
  accept: tf.Tensor2D,
  logits: tf.Tensor2D,
  labelSmoothing: number,
  reduction: tf.Reduction,
  partial: PartialLoss = 'sum',
): tf.Scalar {
  return tf.tidy(() => reduce(trainingLossPerExample(accept, logits, labelSmoothing, partial), reduction));
}

/** trainingLoss before the reduction: one term per row (shared with distillationLoss, so both score accept sets alike). */
function trainingLossPerExample(accept: tf.Tensor2D, logits: tf.Tensor2D, labelSmoothing: number, partial: PartialLoss): tf.Tensor1D {
  const all = tf.logSumExp(logits, 1);
  // Rejected classes get a logit far below any real one: exp() of it is 0 in float32.
  const masked = tf.where(tf.cast(accept, 'bool'), logits, tf.fill(logits.shape, -1e30));
  const perExample: tf.Tensor1D = tf.sub(all, partial === 'max' ? tf.max(masked, 1) : tf.logSumExp(masked, 1));
  if (labelSmoothing <= 0) return perExample;
  return tf.add(tf.mul(perExample, 1 - labelSmoothing), tf.mul(tf.sub(all, tf.mean(logits, 1)), labelSmoothing));
}

function reduce(perExample: tf.Tensor1D, reduction: tf.Reduction): tf.Scalar {
  const sum = tf.sum<tf.Scalar>(perExample);
  return reduction === tf.Reduction.SUM ? sum : tf.div<tf.Scalar>(sum, perExample.shape[0]);
}

/** How distillation weighs the teacher; see distillationLoss. */
export interface DistillationWeights {
  /** A in [0, 1]: the teacher term's share of a taught row's loss. */
  weight: number;
  /** T > 0: both distributions are softened by dividing the logits by T. */
  temperature: number;
}

/**
 * Teacher logits of a batch as the loss takes them: a row of NaN in `rows`
 * ([n * 10]) marks an example without a teacher (a photo), which becomes a
 * 0 in `taught` and a row of zeros in `logits` (any finite row would do: a
 * NaN would reach the gradient through the unselected branch of tf.where).
 */
export function teacherTensors(rows: Float32Array): { logits: tf.Tensor2D; taught: tf.Tensor1D } {
  const n = rows.length / NUM_CLASSES;
  const clean = new Float32Array(rows.length);
  const taught = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(rows[i * NUM_CLASSES]!)) continue;
    taught[i] = 1;
    clean.set(rows.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES), i * NUM_CLASSES);
  }
  return { logits: tf.tensor2d(clean, [n, NUM_CLASSES]), taught: tf.tensor1d(taught) };
}

/**
 * Knowledge distillation ("learning without forgetting", Hinton et al. 2015):
 * for a row with a teacher (taught = 1) the loss is
 * (1-A)·trainingLoss's term + A·T²·KL(softmax(t/T) ‖ softmax(z/T)),
 * which keeps the student close to the teacher's whole distribution over
 * classes on the images the teacher knows, while the accept sets pull it
 * towards the new ones. The T² keeps the teacher term's gradient,
 * A·T·(softmax(z/T) - softmax(t/T)), on the scale of the hard term's as T
 * changes. A row without a teacher (taught = 0) keeps the plain term.
 */
export function distillationLoss(
  accept: tf.Tensor2D,
  logits: tf.Tensor2D,
  teacher: { logits: tf.Tensor2D; taught: tf.Tensor1D },
  distill: DistillationWeights,
  labelSmoothing: number,
  reduction: tf.Reduction,
  partial: PartialLoss = 'sum',
): tf.Scalar {
  const { weight: a, temperature: t } = distill;
  return tf.tidy(() => {
    const plain = trainingLossPerExample(accept, logits, labelSmoothing, partial);
    // KL from log-softmaxes, never log(p): a teacher probability that underflows to 0 then adds 0, not NaN.
    const teacherLog = tf.logSoftmax(tf.div(teacher.logits, t));
    const kl = tf.sum(tf.mul(tf.exp(teacherLog), tf.sub(teacherLog, tf.logSoftmax(tf.div(logits, t)))), 1);
    // (1-A)·plain: with A = 0 that is plain·1 + 0, so the loss is trainingLoss's to the bit.
    const blended = tf.add(tf.mul(plain, 1 - a), tf.mul(kl, a * t * t));
    return reduce(tf.where(tf.cast(teacher.taught, 'bool'), blended, plain) as tf.Tensor1D, reduction);
  });
}

/** How many rows have their top logit in their accept set. */
export function acceptHits(accept: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum<tf.Scalar>(tf.mul(tf.oneHot(tf.argMax(logits, 1), NUM_CLASSES), accept)));
}
