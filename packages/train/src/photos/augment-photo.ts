import { IMAGE_PIXELS, renderGarment, type Box } from '@fmnist/core';
import { augmentInto, type AugmentOptions } from '../data/augment.ts';
import type { CachedPhoto } from './cache.ts';

/**
 * Augmentation for real photos, on top of the Fashion-MNIST one (flip, small
 * rotation, whole-pixel shift): what differs between two people's photos of
 * one garment is where segmentation put the box, how much of the garment it
 * kept, and the light.
 */
export interface PhotoAugmentOptions {
  /** Probability of re-rendering from a jittered box (imperfect crops, scale). */
  cropProbability: number;
  /** Each box edge moves by up to this share of the box's side, either way. */
  cropJitter: number;
  /** Gamma drawn log-uniformly in [1/maxGamma, maxGamma] on the garment's brightness. */
  maxGamma: number;
  /** Contrast scale drawn uniformly in [1 - contrast, 1]. */
  contrast: number;
  /** Then the geometric augmentation of Fashion-MNIST images. */
  geometry: AugmentOptions;
}

export const DEFAULT_PHOTO_AUGMENT: PhotoAugmentOptions = {
  cropProbability: 0.5,
  cropJitter: 0.1,
  maxGamma: 1.5,
  contrast: 0.3,
  geometry: { maxRotationDeg: 10, flipProbability: 0.5, maxShift: 2 },
};

function jitterBox(box: Box, width: number, height: number, jitter: number, rng: () => number): Box {
  const dx = () => Math.round((rng() * 2 - 1) * jitter * box.width);
  const dy = () => Math.round((rng() * 2 - 1) * jitter * box.height);
  const x0 = Math.max(0, Math.min(box.x + dx(), box.x + box.width - 2));
  const y0 = Math.max(0, Math.min(box.y + dy(), box.y + box.height - 2));
  const x1 = Math.min(width, Math.max(box.x + box.width + dx(), x0 + 2));
  const y1 = Math.min(height, Math.max(box.y + box.height + dy(), y0 + 2));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Writes one augmented copy of a cached photo into `out` at `offset` as model input. */
export function augmentPhotoInto(photo: CachedPhoto, out: Float32Array, offset: number, opts: PhotoAugmentOptions, rng: () => number): void {
  const s = photo.stage;
  let pixels = photo.pixels;
  if (s && rng() < opts.cropProbability) pixels = renderGarment(s, jitterBox(s.box, s.width, s.height, opts.cropJitter, rng));
  const gamma = Math.exp((rng() * 2 - 1) * Math.log(opts.maxGamma));
  const contrast = 1 - rng() * opts.contrast;
  const curve = new Uint8Array(256);
  for (let v = 0; v < 256; v++) curve[v] = Math.round(255 * contrast * (v / 255) ** gamma);
  const lit = new Uint8Array(IMAGE_PIXELS);
  for (let i = 0; i < IMAGE_PIXELS; i++) lit[i] = curve[pixels[i]!]!;
  augmentInto(lit, 0, out, offset, opts.geometry, rng);
}
