import { photoFoldSplit } from '@fmnist/core';
import { resolve } from 'node:path';
import { readPhotoSet, repoRoot } from '@fmnist/core/node';
import type { PhotoRecipe } from './photo-recipe.ts';
import { loadCachedPhotos } from './cache.ts';
import type { PhotoData } from './photo-data.ts';

/** Reads the recipe's photo set, preprocessed through the cache, with its photographer-grouped split. */
export async function loadPhotoData(recipe: PhotoRecipe, cacheDir: string, log?: (line: string) => void): Promise<PhotoData> {
  // Recipes store the folder relative to the repository (the CLI does); an absolute one is taken as it is.
  const set = await readPhotoSet(resolve(repoRoot(), recipe.dir));
  const { photos } = await loadCachedPhotos(set, { cacheDir, progress: true, ...(log ? { log } : {}) });
  return { entries: set.entries, photos, split: photoFoldSplit(set.entries, recipe.folds, recipe.fold, recipe.splitSeed) };
}
