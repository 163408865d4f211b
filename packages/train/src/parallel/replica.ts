import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH } from '@fmnist/core';
import type { Recipe } from '../recipe.ts';
import { acceptHits, acceptTensor, distillationLoss, teacherTensors, trainingLoss } from '../model/loss.ts';
import { createFlatOptimizer } from './flat-optimizer.ts';
import type { FlatOptimizer } from './flat-optimizer-interface.ts';

/**
 * One trainable copy of the model with its optimizer: it computes the summed
 * gradient of a shard into a flat buffer and applies a mean gradient with a
 * single pass of the flat optimizer over a JS copy of the trainable weights,
 * which is then written back into the model's variables. The in-process
 * stepper and every gradient worker train through this one class.
 */
export class Replica {
  readonly variables: tf.Variable[];
  readonly optimizer: FlatOptimizer;

  constructor(
    readonly model: tfl.LayersModel,
    readonly recipe: Recipe,
  ) {
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const params = new Float32Array(this.variables.reduce((s, v) => s + v.size, 0));
    // Weight decay applies to kernels (rank > 1), not to biases or batch-norm gamma and beta.
    const kernel = new Uint8Array(params.length);
    let offset = 0;
    for (const v of this.variables) {
      params.set(v.dataSync() as Float32Array, offset);
      if (v.rank > 1) kernel.fill(1, offset, offset + v.size);
      offset += v.size;
    }
    this.optimizer = createFlatOptimizer(recipe, params, (i) => kernel[i] === 1);
  }

  get gradientLength(): number {
    return this.optimizer.params.length;
  }

  /** Applies `(sums[0] + ...) / batchSize` and writes the new weights into the model. */
  apply(sums: readonly Float32Array[], batchSize: number, learningRate: number): void {
    this.optimizer.step(sums, batchSize, learningRate);
    this.writeBack();
  }

  /** Copies the optimizer's parameters into the model's variables (after a step or a restore). */
  writeBack(): void {
    let offset = 0;
    for (const v of this.variables) {
      const value = tf.tensor(this.optimizer.params.subarray(offset, offset + v.size), v.shape);
      v.assign(value);
      value.dispose();
      offset += v.size;
    }
  }

  /** Re-reads the trainable weights from the model into the optimizer's parameters (after setWeights). */
  readBack(): void {
    let offset = 0;
    for (const v of this.variables) {
      this.optimizer.params.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
  }

  /**
   * Writes the summed (not averaged: the caller divides by the whole batch)
   * gradient of a shard into `out`. With `teacher` (the shard's rows of
   * Batch.teacher) and a recipe that distills, the loss is distillationLoss.
   */
  gradients(x: Float32Array, acceptBits: Uint16Array, out: Float32Array, teacher?: Float32Array): { lossSum: number; hits: number } {
    const n = acceptBits.length;
    const { labelSmoothing = 0, partialLoss, distill } = this.recipe;
    let hits = 0;
    const { value, grads } = tf.variableGrads(() => {
      const xs = tf.tensor4d(x, [n, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
      const accept = acceptTensor(acceptBits);
      const logits = this.model.apply(xs, { training: true }) as tf.Tensor2D;
      hits = tf.tidy(() => acceptHits(accept, logits).dataSync()[0]!);
      if (distill && teacher) return distillationLoss(accept, logits, teacherTensors(teacher), distill, labelSmoothing, tf.Reduction.SUM, partialLoss);
      return trainingLoss(accept, logits, labelSmoothing, tf.Reduction.SUM, partialLoss);
    }, this.variables);
    let offset = 0;
    for (const v of this.variables) {
      out.set(grads[v.name]!.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const lossSum = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return { lossSum, hits };
  }
}
