import { describe, expect, it } from 'vitest';
import { NUM_CLASSES, loadSplit } from '../src/node.ts';
import { testDataDir } from '../src/test-data.ts';

const dir = testDataDir();

describe.skipIf(!dir)('the real Fashion-MNIST files', () => {
  it.each([
    ['train', 60000],
    ['test', 10000],
  ] as const)('%s split: md5-verified, %i images, balanced classes', async (name, count) => {
    const split = await loadSplit(dir!, name);
    expect(split.count).toBe(count);
    expect(split.images.length).toBe(count * 784);
    const histogram = new Array(NUM_CLASSES).fill(0);
    for (const l of split.labels) histogram[l]++;
    expect(histogram).toEqual(new Array(NUM_CLASSES).fill(count / NUM_CLASSES));
  });
});
