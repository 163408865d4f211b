import type { PhotoAugmentOptions } from './augment-photo.ts';

/** How real photos join training, and which of them validate. */
export interface PhotoRecipe {
  /** The photo set's folder, relative to the repository root (or absolute). */
  dir: string;
  /** Share of every batch that is photos (the rest Fashion-MNIST). */
  ratio: number;
  /** Photographer-grouped folds; fold `fold` validates. */
  folds: number;
  fold: number;
  splitSeed: number;
  augment: PhotoAugmentOptions | null;
  /** How photos are drawn (absent: 'none', every photo equally often); see photoMixer. */
  balance?: 'none' | 'sqrt';
}
