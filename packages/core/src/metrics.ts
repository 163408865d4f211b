import { CLASS_NAMES, NUM_CLASSES } from './labels.ts';

export interface ClassMetrics {
  index: number;
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  count: number;
  accuracy: number;
  macro: { precision: number; recall: number; f1: number };
  perClass: ClassMetrics[];
  /** confusion[trueLabel][predictedLabel] */
  confusion: number[][];
}

/** Counts confusion[true][predicted] over parallel label arrays. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number = NUM_CLASSES): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const row = m[truth[i]!];
    if (!row || predicted[i]! < 0 || predicted[i]! >= numClasses)
      throw new RangeError(`label pair (${truth[i]}, ${predicted[i]}) at ${i} is outside 0..${numClasses - 1}`);
    row[predicted[i]!]! += 1;
  }
  return m;
}

/** Precision, recall and F1 per class, their unweighted (macro) means, and accuracy. A class never predicted has precision 0. */
export function metricsFromConfusion(confusion: number[][], names: readonly string[] = CLASS_NAMES): ClassificationMetrics {
  const k = confusion.length;
  let correct = 0;
  let count = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c]![j]!;
      predicted += confusion[j]![c]!;
    }
    correct += tp;
    count += support;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ index: c, name: names[c] ?? String(c), precision, recall, f1, support });
  }
  const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((s, m) => s + f(m), 0) / k;
  return {
    count,
    accuracy: count ? correct / count : 0,
    macro: { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) },
    perClass,
    confusion,
  };
}

export function classificationMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(truth, predicted));
}

/** The most frequent off-diagonal cells: which true class is taken for which. */
export function topConfusions(confusion: number[][], n = 5, names: readonly string[] = CLASS_NAMES) {
  const cells: { truth: string; predicted: string; count: number }[] = [];
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) cells.push({ truth: names[t] ?? String(t), predicted: names[p] ?? String(p), count });
    }),
  );
  return cells.sort((a, b) => b.count - a.count).slice(0, n);
}

/** Index of the largest value in each row of a row-major [rows, cols] buffer. */
export function argmaxRows(values: ArrayLike<number>, cols: number): Int32Array {
  const rows = Math.floor(values.length / cols);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c]! > values[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}
