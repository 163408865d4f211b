import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '@fmnist/core';

/**
 * The training loss: softmax cross-entropy on logits, against one-hot labels
 * smoothed by `labelSmoothing` (targets 1 - s + s/10 and s/10; 0 = plain).
 * One definition for the in-process and the worker steppers.
 */
export function trainingLoss(labels: tf.Tensor1D, logits: tf.Tensor2D, labelSmoothing: number, reduction: tf.Reduction): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits, undefined, labelSmoothing, reduction);
}
