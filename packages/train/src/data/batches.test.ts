import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, NUM_CLASSES, type PhotoEntry } from '@fmnist/core';
import { appendPhotos, type PhotoData } from '../photos/photo-data.ts';
import { gatherBatch, type View } from './batches.ts';

/** Teacher logits whose row for view position i is i, i + 0.1, ..., so a row names where it came from. */
const teacherFor = (n: number) => Float32Array.from({ length: n * NUM_CLASSES }, (_, k) => Math.floor(k / NUM_CLASSES) + 0.1 * (k % NUM_CLASSES));

describe('teacher logits in batches', () => {
  const count = 6;
  const split = { count, images: new Uint8Array(count * IMAGE_PIXELS), labels: Uint8Array.from({ length: count }, (_, i) => i) };
  // The view skips split images 0 and 1: the logits are by view position, not by split index.
  const view: View = { split, indices: Uint32Array.of(5, 2, 4, 3) };
  const teacher = teacherFor(view.indices.length);
  const order = Uint32Array.of(3, 0, 2, 1);

  it('gatherBatch takes the rows of the gathered view positions, and none without logits', () => {
    const batch = gatherBatch(view, order, 1, 4, undefined, teacher);
    expect(Array.from(batch.labels)).toEqual([5, 4, 2]);
    const rows = Array.from({ length: batch.size }, (_, i) => batch.teacher![i * NUM_CLASSES]);
    expect(rows).toEqual([0, 2, 1]);
    expect(batch.teacher![NUM_CLASSES + 9]).toBeCloseTo(2.9, 5);
    expect(gatherBatch(view, order, 0, 4).teacher).toBeUndefined();
  });

  it('appendPhotos gives photos rows of NaN (no teacher), and no rows when the base has none', () => {
    const entries = [{ accept: [5, 7, 9], label: 7 }] as unknown as PhotoEntry[];
    const data = { entries, photos: [{ pixels: new Uint8Array(IMAGE_PIXELS) }], split: { train: [0], validation: [] } } as unknown as PhotoData;
    const base = gatherBatch(view, order, 0, 2, undefined, teacher);
    const mixed = appendPhotos(base, data, [0, 0], undefined);
    expect(mixed.size).toBe(4);
    expect(mixed.teacher!.length).toBe(4 * NUM_CLASSES);
    expect(Array.from(mixed.teacher!.subarray(0, 2 * NUM_CLASSES))).toEqual(Array.from(base.teacher!));
    expect(Array.from(mixed.teacher!.subarray(2 * NUM_CLASSES)).every(Number.isNaN)).toBe(true);
    expect(appendPhotos(gatherBatch(view, order, 0, 2), data, [0], undefined).teacher).toBeUndefined();
  });
});
