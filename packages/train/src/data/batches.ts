import { IMAGE_PIXELS, INPUT_CONTRACT, NUM_CLASSES, type Split } from '@fmnist/core';
import { augmentInto, type AugmentOptions } from './augment.ts';
import { createRng, shuffle } from '../random.ts';

/** A subset of a split, addressed by indices into it. */
export interface View {
  split: Split;
  indices: Uint32Array;
}

/** Splits off the last `validationCount` of a seeded permutation as validation; `limit` trims the training part. */
export function trainValidationViews(train: Split, validationCount: number, seed: number, limit?: number): { train: View; validation: View } {
  const order = shuffle(
    Uint32Array.from({ length: train.count }, (_, i) => i),
    createRng(seed),
  );
  const val = Math.min(validationCount, Math.floor(train.count / 5));
  const trainIdx = order.subarray(0, train.count - val);
  return {
    train: { split: train, indices: limit ? trainIdx.subarray(0, Math.min(limit, trainIdx.length)) : trainIdx },
    validation: { split: train, indices: order.subarray(train.count - val) },
  };
}

export function wholeView(split: Split, limit?: number): View {
  return { split, indices: Uint32Array.from({ length: Math.min(limit ?? split.count, split.count) }, (_, i) => i) };
}

export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  /** Accept sets as bitmasks (bit c: class c counts as right); one bit for a Fashion-MNIST image. */
  accept: Uint16Array;
  size: number;
  /**
   * Distillation targets: the teacher's logits of each row ([size * 10]);
   * a row of NaN has no teacher (photos) and trains on its accept set alone.
   */
  teacher?: Float32Array;
}

/**
 * Gathers images [from, to) of `order` into model input, augmented when
 * `augment` is given. `teacher` holds the teacher's logits of every image of
 * the view ([view size * 10], by position in view.indices, as `order` counts);
 * given, the batch carries the rows of its images.
 */
export function gatherBatch(
  view: View,
  order: Uint32Array,
  from: number,
  to: number,
  augment?: { options: AugmentOptions; rng: () => number },
  teacher?: Float32Array,
): Batch {
  const size = to - from;
  const x = new Float32Array(size * IMAGE_PIXELS);
  const labels = new Int32Array(size);
  const accept = new Uint16Array(size);
  const taught = teacher ? new Float32Array(size * NUM_CLASSES) : undefined;
  const { images, labels: allLabels } = view.split;
  for (let i = 0; i < size; i++) {
    const at = order[from + i]!;
    const idx = view.indices[at]!;
    labels[i] = allLabels[idx]!;
    accept[i] = 1 << labels[i]!;
    const src = idx * IMAGE_PIXELS;
    if (augment) augmentInto(images, src, x, i * IMAGE_PIXELS, augment.options, augment.rng);
    else for (let p = 0; p < IMAGE_PIXELS; p++) x[i * IMAGE_PIXELS + p] = images[src + p]! * INPUT_CONTRACT.scale;
    taught?.set(teacher!.subarray(at * NUM_CLASSES, (at + 1) * NUM_CLASSES), i * NUM_CLASSES);
  }
  return { x, labels, accept, size, ...(taught ? { teacher: taught } : {}) };
}
