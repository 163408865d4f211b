import { CLASS_NAMES } from './labels.ts';

/** One class of a model's answer, as the server's JSON and the web demo's bars show it. */
export interface Prediction {
  index: number;
  name: string;
  probability: number;
}

/**
 * The k most probable classes, best first. Ties go to the lower class index,
 * so the server and the browser name the same class for the same vector.
 * `names` gives the labels (the model's own, or core's list) and fixes the
 * vector's length: a vector of another length is a RangeError, not a guess.
 */
export function topK(probabilities: ArrayLike<number>, k: number, names: readonly string[] = CLASS_NAMES): Prediction[] {
  if (probabilities.length !== names.length) throw new RangeError(`expected ${names.length} probabilities, got ${probabilities.length}`);
  return Array.from(probabilities, (probability, index) => ({ index, name: names[index]!, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}
