import { createRng, IMAGE_PIXELS, shuffle, type Split } from '@fmnist/core';

/**
 * The Fashion-MNIST validation images a train run held out: the last
 * `validationCount` (at most a fifth) of a permutation of the training
 * split seeded with the run's `seed`, as train's trainValidationViews
 * (packages/train/src/data/batches.ts) draws them. Methods are chosen on
 * these; the test set is only for reporting.
 */
export function heldOutIndices(trainCount: number, { seed, validationCount }: { seed: number; validationCount: number }): Uint32Array {
  const order = shuffle(
    Uint32Array.from({ length: trainCount }, (_, i) => i),
    createRng(seed),
  );
  return order.subarray(trainCount - Math.min(validationCount, Math.floor(trainCount / 5)));
}

/** The first `count` held-out images, contiguous (784 bytes each), with their labels. */
export function heldOutImages(
  train: Split,
  recipe: { seed: number; validationCount: number },
  count: number,
): { images: Uint8Array; labels: Uint8Array; count: number } {
  const indices = heldOutIndices(train.count, recipe).subarray(0, count);
  const images = new Uint8Array(indices.length * IMAGE_PIXELS);
  indices.forEach((index, i) => images.set(train.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS));
  return { images, labels: Uint8Array.from(indices, (index) => train.labels[index]!), count: indices.length };
}
