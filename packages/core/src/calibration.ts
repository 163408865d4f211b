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
  return fitTemperatureBy(logits, right, (confidence, r) => expectedCalibrationError(confidence, r, bins), classes);
}

/**
 * The temperature minimising `score` (of the calibrated top-1 confidences and
 * whether each answer is right) on fitTemperature's grid; for comparing
 * objectives (packages/train/scripts/calibration-objectives.ts).
 */
export function fitTemperatureBy(
  logits: ArrayLike<number>,
  right: ArrayLike<boolean>,
  score: (confidence: Float64Array, right: ArrayLike<boolean>) => number,
  classes: number = NUM_CLASSES,
): number {
  let best = { t: 1, score: Infinity };
  for (let k = 0; k <= 600; k++) {
    // From log T = 0 outwards, alternating sides, so the first of equal minima is nearest T = 1.
    const step = Math.ceil(k / 2) * (k % 2 === 0 ? -1 : 1);
    const t = Math.exp(step * 0.005);
    const s = score(confidences(softmaxRows(logits, t, classes), classes), right);
    if (s < best.score - 1e-12) best = { t, score: s };
  }
  return best.t;
}

/**
 * The calibration error to expect on new photographers: the rows are dealt
 * into groups (`group[r]`, photographers kept whole by the caller), each
 * group's confidences are calibrated with the temperature fitted on the
 * other groups alone, and the ECE is taken over all rows pooled. Fitting and
 * measuring on the same rows, as `fitTemperature` then
 * `expectedCalibrationError` do, is optimistic: the fit chases that set's
 * noise, which a 15-bin ECE on a few hundred photos has plenty of.
 * `fit` is the calibration being judged (fitTemperature by default).
 */
export function crossFittedCalibrationError(
  logits: ArrayLike<number>,
  right: ArrayLike<boolean>,
  group: ArrayLike<number>,
  classes: number = NUM_CLASSES,
  bins = 15,
  fit: (logits: Float32Array, right: boolean[]) => number = (l, r) => fitTemperature(l, r, classes),
): number {
  const n = right.length;
  if (group.length !== n || logits.length !== n * classes) throw new RangeError(`${n} rows need ${n} groups and ${n * classes} logits`);
  const groups = [...new Set(Array.from(group))];
  if (groups.length < 2) throw new RangeError('cross-fitting needs at least two groups');
  const calibrated = new Float64Array(n);
  for (const g of groups) {
    const train: number[] = [];
    const held: number[] = [];
    for (let r = 0; r < n; r++) (group[r] === g ? held : train).push(r);
    const rowsOf = (rows: number[]) => Float32Array.from(rows.flatMap((r) => Array.from({ length: classes }, (_, c) => logits[r * classes + c]!)));
    const t = fit(
      rowsOf(train),
      train.map((r) => right[r]!),
    );
    const conf = confidences(softmaxRows(rowsOf(held), t, classes), classes);
    held.forEach((r, j) => (calibrated[r] = conf[j]!));
  }
  return expectedCalibrationError(calibrated, right, bins);
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
