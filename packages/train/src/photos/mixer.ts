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
  return photoMetrics(
    indices.map((i) => data.entries[i]!),
    top,
  ).acceptTop1;
}

/**
 * Draws `ratio` of every batch from the training photos. Unbalanced: a
 * seeded pass over them, reshuffled each time round. 'sqrt': drawn with
 * replacement, each photo weighted by 1/sqrt(photos of its class), so a
 * class with a quarter of the photos is drawn half as often, not a quarter
 * (T-shirts outnumber shirts five to one in the photo set, and an
 * unbalanced mix taught the model to call most tops T-shirts).
 */
export function photoMixer(data: PhotoData, recipe: PhotoRecipe, batchSize: number, rng: () => number) {
  const pool = trainablePhotos(data);
  if (pool.length === 0) throw new Error('no training photo has an accepted class');
  const perBatch = Math.min(batchSize - 1, Math.max(1, Math.round(recipe.ratio * batchSize)));
  const augment = recipe.augment ? { options: recipe.augment, rng } : undefined;
  const take = recipe.balance === 'sqrt' ? weightedDraw(pool, data, rng) : shuffledPasses(pool, rng);
  return { perBatch, append: (base: Batch) => appendPhotos(base, data, Array.from({ length: perBatch }, take), augment) };
}

function shuffledPasses(pool: Uint32Array, rng: () => number): () => number {
  let cursor = pool.length;
  return () => {
    if (cursor === pool.length) {
      shuffle(pool, rng);
      cursor = 0;
    }
    return pool[cursor++]!;
  };
}

function weightedDraw(pool: Uint32Array, data: PhotoData, rng: () => number): () => number {
  const perClass = new Map<number, number>();
  for (const i of pool) perClass.set(data.entries[i]!.label!, (perClass.get(data.entries[i]!.label!) ?? 0) + 1);
  const cumulative = new Float64Array(pool.length);
  let total = 0;
  pool.forEach((i, j) => (cumulative[j] = total += 1 / Math.sqrt(perClass.get(data.entries[i]!.label!)!)));
  return () => {
    const u = rng() * total;
    let lo = 0;
    let hi = pool.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return pool[lo]!;
  };
}
