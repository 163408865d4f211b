import type { ModelCalibration } from './calibration.ts';
import type { ClassificationMetrics } from './metrics.ts';
import type { PhotoMetrics } from './photos/metrics.ts';

/**
 * A training run's directory, as train writes it and export, the scripts
 * and the docs read it: `<run>/<file>` for each of these.
 */
export const RUN_FILES = {
  /** The tfjs layers model topology and weights manifest. */
  model: 'model.json',
  /** The weights, one file (the manifest in model.json names it). */
  weights: 'weights.bin',
  /** RunMetrics: the test-set metrics at the top level, the run's context beside them. */
  metrics: 'metrics.json',
  /** RunHistory: one EpochRecord per epoch. */
  history: 'history.json',
  curves: 'curves.svg',
  confusion: 'confusion.svg',
  report: 'report.md',
  /** Photo runs only. */
  photoConfusion: 'photo-confusion.svg',
} as const;

/** One row of history.json. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
  /** Photo validation accept-top1 (photo runs). */
  photoValAccuracy?: number;
}

export interface RunHistory {
  bestEpoch: number;
  epochs: EpochRecord[];
}

/** Temperature scaling and the uncertain flag, fitted on the photo validation split. */
export interface Calibration extends ModelCalibration {
  /** Expected calibration error of top-1 confidence against accept-top1, 15 bins. */
  eceBefore: number;
  eceAfter: number;
  /**
   * ECE after calibration on photographers the temperature was not fitted on:
   * the split's photographers dealt into 5 groups, each calibrated by the
   * others' fit (`crossFittedCalibrationError`). Absent from runs before it was measured.
   */
  eceCrossFitted?: number;
  /** Share of wrong answers (wrong class, or a photo no class fits) and of right answers under the threshold. */
  flaggedWrong: number;
  flaggedRight: number;
}

/** metrics.json `photos` (photo runs): the photo validation figures and the calibration fitted there. */
export interface PhotoRunFigures {
  dir: string;
  split: string;
  trainPhotos: number;
  trainPhotographers: number;
  validationPhotos: number;
  validationPhotographers: number;
  validation: PhotoMetrics;
  calibration: Calibration;
  /**
   * core's preprocessVersion() when these figures were measured: the photos' inputs depend on it, and a model's
   * figures can be re-measured under a newer one (`recalibrate`). Absent in runs from before it was recorded.
   */
  preprocessVersion?: string;
  /** Top class and calibrated top-1 probability per validation photo, for pooling folds. */
  predictions: { file: string; top: number; confidence: number }[];
}

/** The part of train's recipe that readers outside train rely on; train's own Recipe extends it. */
export interface RunRecipe {
  model: string;
  validationCount: number;
}

/** What metrics.json holds: the test-set metrics at the top level, with the run's context beside them. */
export interface RunMetrics<R extends RunRecipe = RunRecipe> extends ClassificationMetrics {
  split: 'test';
  loss: number;
  model: string;
  recipe: R;
  backend: string;
  bestEpoch: number;
  validationAccuracy: number;
  trainSeconds: number;
  trainImagesPerSecond: number;
  createdAt: string;
  /** Trainable and non-trainable parameters (absent in runs written before it was recorded). */
  parameters?: number;
  /** Forward-pass FLOPs of one image (see forwardFlopsPerImage). */
  flopsPerImage?: number;
  /** Photo runs: photo validation figures and the calibration fitted there. */
  photos?: PhotoRunFigures;
}

/** A run file that exists but does not hold what its name promises. */
export class RunFileError extends Error {
  override readonly name = 'RunFileError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks parsed metrics.json against RunMetrics where readers depend on it
 * (the test metrics, the recipe, the photo calibration), so a hand-edited or
 * foreign file fails here with the field named instead of as NaN later.
 */
export function parseRunMetrics<R extends RunRecipe = RunRecipe>(json: unknown, file: string = RUN_FILES.metrics): RunMetrics<R> {
  const bad = (detail: string) => new RunFileError(file, detail);
  if (!isRecord(json)) throw bad('is not a JSON object');
  for (const key of ['accuracy', 'count', 'loss', 'validationAccuracy'] as const)
    if (!isNumber(json[key])) throw bad(`'${key}' must be a number (train writes the test metrics at the top level)`);
  const macro = json.macro;
  if (!isRecord(macro) || !isNumber(macro.precision) || !isNumber(macro.recall) || !isNumber(macro.f1))
    throw bad(`'macro' must hold numeric precision, recall and f1`);
  if (!Array.isArray(json.confusion) || !json.confusion.every((row) => Array.isArray(row) && row.every(isNumber)))
    throw bad(`'confusion' must be a matrix of numbers`);
  if (!isRecord(json.recipe) || typeof json.recipe.model !== 'string' || !isNumber(json.recipe.validationCount))
    throw bad(`'recipe' must name the model and the validation count`);
  if (json.photos !== undefined) {
    const c = isRecord(json.photos) ? json.photos.calibration : undefined;
    if (!isRecord(c) || !['temperature', 'uncertainThreshold', 'eceBefore', 'eceAfter', 'flaggedWrong', 'flaggedRight'].every((k) => isNumber(c[k])))
      throw bad(`'photos.calibration' must hold the fitted temperature, threshold and their figures`);
    if (!isRecord((json.photos as Record<string, unknown>).validation)) throw bad(`'photos.validation' must hold the photo validation metrics`);
  }
  return json as unknown as RunMetrics<R>;
}

/** Checks parsed history.json: a best epoch and one record per epoch. */
export function parseRunHistory(json: unknown, file: string = RUN_FILES.history): RunHistory {
  if (!isRecord(json) || !isNumber(json.bestEpoch) || !Array.isArray(json.epochs))
    throw new RunFileError(file, `must hold 'bestEpoch' (a number) and 'epochs' (an array)`);
  const i = json.epochs.findIndex((e) => !isRecord(e) || !isNumber(e.epoch) || !isNumber(e.loss) || !isNumber(e.valAccuracy));
  if (i >= 0) throw new RunFileError(file, `epochs[${i}] must hold numeric epoch, loss and valAccuracy`);
  return json as unknown as RunHistory;
}
