import { CLASS_NAMES, NUM_CLASSES } from '@fmnist/core';

export interface Prediction {
  index: number;
  name: string;
  probability: number;
}

/** The k most probable classes, best first (ties keep class order). */
export function topK(probabilities: ArrayLike<number>, k: number, names: readonly string[] = CLASS_NAMES): Prediction[] {
  if (probabilities.length !== NUM_CLASSES) throw new RangeError(`expected ${NUM_CLASSES} probabilities, got ${probabilities.length}`);
  return Array.from(probabilities, (probability, index) => ({ index, name: names[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}
