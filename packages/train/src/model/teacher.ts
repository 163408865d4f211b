import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import { gatherBatch, type View } from '../data/batches.ts';
import { predictInputs } from './evaluate.ts';
import type { DistillationWeights } from './loss.ts';

/** Distillation from a trained model (see distillationLoss); the teacher itself comes through FitOptions.teacher. */
export interface DistillRecipe extends DistillationWeights {
  /** Run directory of the teacher, as given on the command line (a resume loads it again from there). */
  from: string;
}

export const DEFAULT_DISTILL_WEIGHT = 0.5;
export const DEFAULT_DISTILL_TEMPERATURE = 2;

/** Throws unless `model` maps one 28x28x1 image to 10 logits: any architecture can teach, as only its logits are used. */
export function checkTeacher(model: tfl.LayersModel): void {
  const input = model.inputs[0]?.shape;
  const output = model.outputs[0]?.shape;
  if (model.inputs.length !== 1 || input?.length !== 4 || input[1] !== IMAGE_HEIGHT || input[2] !== IMAGE_WIDTH || input[3] !== IMAGE_CHANNELS)
    throw new Error(`the teacher takes [${input}], not [null,${IMAGE_HEIGHT},${IMAGE_WIDTH},${IMAGE_CHANNELS}] images`);
  if (model.outputs.length !== 1 || output?.length !== 2 || output[1] !== NUM_CLASSES)
    throw new Error(`the teacher answers [${output}], not [null,${NUM_CLASSES}] logits`);
}

/**
 * The teacher's logits of every image of `view` ([count * 10], by position
 * in view.indices, as gatherBatch takes them), computed once before
 * training: the teacher is frozen, so one inference pass replaces one per
 * step. Inputs are gatherBatch's own, un-augmented (the student sees flips
 * and crops of them, and learns the teacher's answer for the clean image;
 * the cost of not running the teacher every step), and the teacher runs in
 * inference mode (batch-norm moving statistics, no dropout).
 */
export function teacherLogits(teacher: tfl.LayersModel, view: View, batchSize = 1000): Float32Array {
  const n = view.indices.length;
  const identity = Uint32Array.from({ length: n }, (_, i) => i);
  const logits = new Float32Array(n * NUM_CLASSES);
  for (let from = 0; from < n; from += batchSize) {
    const batch = gatherBatch(view, identity, from, Math.min(n, from + batchSize));
    logits.set(predictInputs(teacher, batch.x, batch.size, batchSize), from * NUM_CLASSES);
  }
  return logits;
}
