import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, type Split } from '@fmnist/core';
// The definition this module must agree with (train is not a dependency of export; the test reaches it by path).
import { trainValidationViews } from '../../../train/src/data/batches.ts';
import { heldOutImages, heldOutIndices } from './validation.ts';

describe('held-out validation images', () => {
  it('are the images train held out for validation with the same seed and count', () => {
    for (const [count, validationCount, seed] of [
      [60000, 5000, 42],
      [1000, 500, 7],
    ] as const) {
      const split = { count, images: new Uint8Array(0), labels: new Uint8Array(count) } as unknown as Split;
      const expected = trainValidationViews(split, validationCount, seed).validation.indices;
      expect([...heldOutIndices(count, { seed, validationCount })]).toEqual([...expected]);
    }
  });

  it('gathers the first n of them with their labels', () => {
    const count = 50;
    const images = Uint8Array.from({ length: count * IMAGE_PIXELS }, (_, i) => Math.floor(i / IMAGE_PIXELS));
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const split = { count, images, labels } as unknown as Split;
    const indices = heldOutIndices(count, { seed: 3, validationCount: 10 });
    const got = heldOutImages(split, { seed: 3, validationCount: 10 }, 4);
    expect(got.count).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(got.images[i * IMAGE_PIXELS]).toBe(indices[i]);
      expect(got.labels[i]).toBe(indices[i]! % 10);
    }
  });
});
