import { acceptMask, bytesToInput, IMAGE_PIXELS, NUM_CLASSES, type PhotoEntry, type PhotoSplit } from '@fmnist/core';
import type { Batch } from '../data/batches.ts';
import type { CachedPhoto } from './cache.ts';
import { augmentPhotoInto, type PhotoAugmentOptions } from './augment-photo.ts';

/** A photo set ready for training: entries, their preprocessed inputs, and the photographer-grouped split. */
export interface PhotoData {
  entries: PhotoEntry[];
  photos: CachedPhoto[];
  split: PhotoSplit;
}

/** Training photos that teach something: those with at least one accepted class (the others have no target). */
export function trainablePhotos(data: PhotoData): Uint32Array {
  return Uint32Array.from(data.split.train.filter((i) => data.entries[i]!.accept.length > 0));
}

/** The un-augmented model inputs of `indices` (one row of 784 floats each), as every evaluation feeds them. */
export function photoInputs(photos: readonly CachedPhoto[], indices: readonly number[]): Float32Array {
  const x = new Float32Array(indices.length * IMAGE_PIXELS);
  indices.forEach((idx, i) => bytesToInput(photos[idx]!.pixels, x.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)));
  return x;
}

/** The un-augmented inputs of `indices`, as one batch (for validation). */
export function photoBatch(data: PhotoData, indices: readonly number[]): Batch {
  const x = photoInputs(data.photos, indices);
  const labels = new Int32Array(indices.length);
  const accept = new Uint16Array(indices.length);
  indices.forEach((idx, i) => {
    labels[i] = data.entries[idx]!.label ?? -1;
    accept[i] = acceptMask(data.entries[idx]!.accept);
  });
  return { x, labels, accept, size: indices.length };
}

/**
 * Appends `indices` (augmented when `augment` is given) after the images of
 * `base`. A base with teacher logits gets rows of NaN for the photos: the
 * teacher never saw photos, so they train on their accept sets alone.
 */
export function appendPhotos(
  base: Batch,
  data: PhotoData,
  indices: ArrayLike<number>,
  augment: { options: PhotoAugmentOptions; rng: () => number } | undefined,
): Batch {
  const k = indices.length;
  const size = base.size + k;
  const x = new Float32Array(size * IMAGE_PIXELS);
  x.set(base.x);
  const labels = new Int32Array(size);
  labels.set(base.labels);
  const accept = new Uint16Array(size);
  accept.set(base.accept);
  for (let j = 0; j < k; j++) {
    const idx = indices[j]!;
    const at = (base.size + j) * IMAGE_PIXELS;
    if (augment) augmentPhotoInto(data.photos[idx]!, x, at, augment.options, augment.rng);
    else bytesToInput(data.photos[idx]!.pixels, x.subarray(at, at + IMAGE_PIXELS));
    labels[base.size + j] = data.entries[idx]!.label!;
    accept[base.size + j] = acceptMask(data.entries[idx]!.accept);
  }
  if (!base.teacher) return { x, labels, accept, size };
  const teacher = new Float32Array(size * NUM_CLASSES).fill(Number.NaN);
  teacher.set(base.teacher);
  return { x, labels, accept, size, teacher };
}
