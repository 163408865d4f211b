import { NUM_CLASSES } from './labels.ts';

/** Softmax of each row of `logits / temperature`. */
export function softmaxRows(logits: ArrayLike<number>, temperature = 1, classes: number = NUM_CLASSES): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(logits[r * classes + c]! / temperature - max);
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/** Top-1 probability of each row. */
export function confidences(probabilities: Float32Array, classes: number = NUM_CLASSES): Float64Array {
  const out = new Float64Array(probabilities.length / classes);
  for (let r = 0; r < out.length; r++) out[r] = Math.max(...probabilities.subarray(r * classes, (r + 1) * classes));
  return out;
}

/**
 * Expected calibration error: predictions binned by stated confidence
 * (`bins` equal-width bins over [0, 1]); the gap between each bin's mean
 * confidence and its share right, weighted by the bin's size.
 */
export function expectedCalibrationError(confidence: ArrayLike<number>, right: ArrayLike<boolean>, bins = 15): number {
  const n = confidence.length;
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(confidence[i]! * bins));
    count[b]!++;
    conf[b]! += confidence[i]!;
    if (right[i]) hits[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(conf[b]! - hits[b]!) / n;
  return ece;
}

/**
 * The temperature that makes top-1 confidence honest on a validation set:
 * the one with the lowest expected calibration error (`bins` bins), found on
 * a grid of log T over [-1.5, 1.5] in steps of 0.005. ECE itself is the
 * objective because it is the figure asked of the model: a log-loss fit
 * lands elsewhere when the miscalibration is not one scale (photos whose
 * accept set has several classes make the top class's probability
 * understate how often the answer is right, others overstate it). Ties go
 * to the temperature closest to 1.
 */
export function fitTemperature(logits: ArrayLike<number>, right: ArrayLike<boolean>, classes: number = NUM_CLASSES, bins = 15): number {
  let best = { t: 1, ece: Infinity };
  for (let k = 0; k <= 600; k++) {
    // From log T = 0 outwards, alternating sides, so the first of equal minima is nearest T = 1.
    const step = Math.ceil(k / 2) * (k % 2 === 0 ? -1 : 1);
    const t = Math.exp(step * 0.005);
    const ece = expectedCalibrationError(confidences(softmaxRows(logits, t, classes), classes), right, bins);
    if (ece < best.ece - 1e-12) best = { t, ece };
  }
  return best.t;
}

/**
 * The confidence under which an answer is flagged uncertain: the cut that
 * best separates answers that are wrong (a wrong class, or a photo of
 * something no class fits) from right ones, by Youden's J (share of wrong
 * answers flagged minus share of right answers flagged).
 */
export function uncertainThreshold(
  confidence: ArrayLike<number>,
  wrong: ArrayLike<boolean>,
): { threshold: number; flaggedWrong: number; flaggedRight: number } {
  const n = confidence.length;
  const nWrong = Array.from(wrong).filter(Boolean).length;
  const nRight = n - nWrong;
  let best = { threshold: 0, flaggedWrong: 0, flaggedRight: 0, j: -Infinity };
  for (let k = 10; k <= 95; k++) {
    const t = k / 100;
    let fw = 0;
    let fr = 0;
    for (let i = 0; i < n; i++) if (confidence[i]! < t) wrong[i] ? fw++ : fr++;
    const rates = { flaggedWrong: nWrong ? fw / nWrong : 0, flaggedRight: nRight ? fr / nRight : 0 };
    const j = rates.flaggedWrong - rates.flaggedRight;
    if (j > best.j) best = { threshold: t, ...rates, j };
  }
  return { threshold: best.threshold, flaggedWrong: best.flaggedWrong, flaggedRight: best.flaggedRight };
}

/** A photo-tuned model's calibration, from its ONNX metadata (`calibration`, written by the exporter). */
export interface ModelCalibration {
  temperature: number;
  uncertainThreshold: number;
}

/**
 * Whether an answer is flagged uncertain: its top (calibrated) probability
 * is under the model's threshold. The server's `uncertain` field and the web
 * demo's badge both come from here.
 */
export function isUncertain(topProbability: number, calibration: ModelCalibration): boolean {
  return topProbability < calibration.uncertainThreshold;
}
