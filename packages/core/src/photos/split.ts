import { createRng, shuffle } from '../random.ts';
import { PhotoSetError } from './errors.ts';
import type { PhotoEntry } from './labels.ts';

/** Indices into a photo set's entries. */
export interface PhotoSplit {
  train: number[];
  validation: number[];
}

/** The group of an entry: its photographer, or the photo alone where none is known. */
function groupKey(e: PhotoEntry): string {
  return e.senderId === null ? `photo:${e.file}` : `sender:${e.senderId}`;
}

/**
 * Deals whole photographers into `k` folds: photographers in a seeded order,
 * each to the fold with the fewest photos so far (ties to the lowest fold),
 * so folds have similar sizes and no photographer is in two folds.
 * Returns the fold of every entry.
 */
export function photographerFolds(entries: readonly PhotoEntry[], k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new PhotoSetError('bad-split', 'labels.json', `the number of folds must be an integer of at least 2, got ${k}`);
  const groups = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const key = groupKey(e);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  if (groups.size < k) throw new PhotoSetError('bad-split', 'labels.json', `${groups.size} photographers cannot fill ${k} folds`);
  // Sorted before the seeded shuffle, so the folds do not depend on the order of labels.json.
  const keys = shuffle([...groups.keys()].sort(), createRng(seed));
  // Largest groups first (stable for equal sizes), so the greedy deal balances.
  keys.sort((a, b) => groups.get(b)!.length - groups.get(a)!.length);
  const sizes = new Array<number>(k).fill(0);
  const fold = new Int32Array(entries.length);
  for (const key of keys) {
    const f = sizes.indexOf(Math.min(...sizes));
    for (const i of groups.get(key)!) fold[i] = f;
    sizes[f]! += groups.get(key)!.length;
  }
  return fold;
}

/** Fold `f` of `k` as validation, the other folds as training. */
export function photoFoldSplit(entries: readonly PhotoEntry[], k: number, f: number, seed: number): PhotoSplit {
  if (!Number.isInteger(f) || f < 0 || f >= k) throw new PhotoSetError('bad-split', 'labels.json', `fold ${f} is outside 0..${k - 1}`);
  const fold = photographerFolds(entries, k, seed);
  const split: PhotoSplit = { train: [], validation: [] };
  fold.forEach((g, i) => (g === f ? split.validation : split.train).push(i));
  return split;
}
