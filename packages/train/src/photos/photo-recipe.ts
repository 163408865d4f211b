import type { PhotoAugmentOptions } from './augment-photo.ts';

/** How real photos join training, and which of them validate. */
export interface PhotoRecipe {
  /** The photo set's folder, as given on the command line. */
  dir: string;
  /** Share of every batch that is photos (the rest Fashion-MNIST). */
  ratio: number;
  /** Photographer-grouped folds; fold `fold` validates. */
  folds: number;
  fold: number;
  splitSeed: number;
  augment: PhotoAugmentOptions | null;
}
