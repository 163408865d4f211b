import { IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';

export interface TestImage {
  index: number;
  label: number;
  pixels: Uint8Array;
}

/** The first test image of each class: ten real images, every label once. */
export function onePerClass(split: Split): TestImage[] {
  const out: TestImage[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const index = split.labels.indexOf(c);
    out.push({ index, label: c, pixels: split.images.slice(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS) });
  }
  return out;
}
