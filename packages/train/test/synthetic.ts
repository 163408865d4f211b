import { IMAGE_PIXELS, type Split } from '@fmnist/core';
import { createRng } from '../src/random.ts';

/** A synthetic split: class k is a bright horizontal band at rows 2k..2k+3, with noise. */
export function syntheticSplit(count: number): Split {
  const rng = createRng(3);
  const images = new Uint8Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    labels[i] = k;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const row = Math.floor(p / 28);
      images[i * IMAGE_PIXELS + p] = (row >= 2 * k && row < 2 * k + 4 ? 200 : 0) + Math.floor(rng() * 50);
    }
  }
  return { count, images, labels };
}
