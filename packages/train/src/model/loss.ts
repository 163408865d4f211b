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
  return tf.tidy(() => {
    const all = tf.logSumExp(logits, 1);
    // Rejected classes get a logit far below any real one: exp() of it is 0 in float32.
    const masked = tf.where(tf.cast(accept, 'bool'), logits, tf.fill(logits.shape, -1e30));
    let perExample: tf.Tensor1D = tf.sub(all, partial === 'max' ? tf.max(masked, 1) : tf.logSumExp(masked, 1));
    if (labelSmoothing > 0) perExample = tf.add(tf.mul(perExample, 1 - labelSmoothing), tf.mul(tf.sub(all, tf.mean(logits, 1)), labelSmoothing));
    const sum = tf.sum<tf.Scalar>(perExample);
    return reduction === tf.Reduction.SUM ? sum : tf.div<tf.Scalar>(sum, logits.shape[0]);
  });
}

/** How many rows have their top logit in their accept set. */
export function acceptHits(accept: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum<tf.Scalar>(tf.mul(tf.oneHot(tf.argMax(logits, 1), NUM_CLASSES), accept)));
}
