import type * as tfl from '@tensorflow/tfjs-layers';
import { argmaxRows, NUM_CLASSES, photoMetrics } from '@fmnist/core';
import type { Batch } from '../data/batches.ts';
import type { PhotoRecipe } from './photo-recipe.ts';
import { predictInputs } from '../model/evaluate.ts';
import { shuffle } from '../random.ts';
import { appendPhotos, photoBatch, trainablePhotos, type PhotoData } from './photo-data.ts';

/** Accept-top1 of `model` on the photos `indices` (those with an accept set count). */
export function photoAcceptTop1(model: tfl.LayersModel, data: PhotoData, indices: readonly number[]): number {
  const batch = photoBatch(data, indices);
  const top = argmaxRows(predictInputs(model, batch.x, batch.size), NUM_CLASSES);
  return photoMetrics(indices.map((i) => data.entries[i]!), top).acceptTop1;
}

/** Draws `ratio` of every batch from the training photos: a seeded pass over them, reshuffled each time round. */
export function photoMixer(data: PhotoData, recipe: PhotoRecipe, batchSize: number, rng: () => number) {
  const pool = trainablePhotos(data);
  if (pool.length === 0) throw new Error('no training photo has an accepted class');
  const perBatch = Math.min(batchSize - 1, Math.max(1, Math.round(recipe.ratio * batchSize)));
  const augment = recipe.augment ? { options: recipe.augment, rng } : undefined;
  let cursor = pool.length;
  const take = () => {
    if (cursor === pool.length) {
      shuffle(pool, rng);
      cursor = 0;
    }
    return pool[cursor++]!;
  };
  return { perBatch, append: (base: Batch) => appendPhotos(base, data, Array.from({ length: perBatch }, take), augment) };
}
