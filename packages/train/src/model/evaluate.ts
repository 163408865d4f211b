import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  IMAGE_CHANNELS,
  IMAGE_HEIGHT,
  IMAGE_PIXELS,
  IMAGE_WIDTH,
  NUM_CLASSES,
  argmaxRows,
  classificationMetrics,
  type ClassificationMetrics,
} from '@fmnist/core';
import { gatherBatch, type View } from '../data/batches.ts';

/** A whole view run through the model: every logit row, the labels and the summed loss (not a per-image answer like core's Prediction). */
export interface ViewOutputs {
  logits: Float32Array;
  labels: Int32Array;
  loss: number;
}

/** Runs the model in inference mode over a view, in large batches. */
function predictView(model: tfl.LayersModel, view: View, batchSize = 1000): ViewOutputs {
  const n = view.indices.length;
  const identity = Uint32Array.from({ length: n }, (_, i) => i);
  const logits = new Float32Array(n * NUM_CLASSES);
  const labels = new Int32Array(n);
  let lossSum = 0;
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const batch = gatherBatch(view, identity, from, to);
    labels.set(batch.labels, from);
    const [out, loss] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.size, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
      const y = model.predict(x) as tf.Tensor2D;
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), NUM_CLASSES), y, undefined, undefined, tf.Reduction.SUM);
      return [y.dataSync() as Float32Array, l.dataSync()[0]!];
    });
    logits.set(out, from * NUM_CLASSES);
    lossSum += loss;
  }
  return { logits, labels, loss: lossSum / n };
}

/** Logits of `n` model inputs (row-major 28x28 floats), in inference mode. */
export function predictInputs(model: tfl.LayersModel, x: Float32Array, n: number, batchSize = 1000): Float32Array {
  const logits = new Float32Array(n * NUM_CLASSES);
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const out = tf.tidy(
      () =>
        (
          model.predict(tf.tensor4d(x.subarray(from * IMAGE_PIXELS, to * IMAGE_PIXELS), [to - from, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS])) as tf.Tensor
        ).dataSync() as Float32Array,
    );
    logits.set(out, from * NUM_CLASSES);
  }
  return logits;
}

export function evaluateView(model: tfl.LayersModel, view: View): ClassificationMetrics & { loss: number } {
  const p = predictView(model, view);
  return { ...classificationMetrics(p.labels, argmaxRows(p.logits, NUM_CLASSES)), loss: p.loss };
}
