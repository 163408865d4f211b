import type * as tfl from '@tensorflow/tfjs-layers';
import {
  acceptMask,
  accepts,
  argmaxRows,
  confidences,
  crossFittedCalibrationError,
  expectedCalibrationError,
  fitTemperature,
  NUM_CLASSES,
  photoMetrics,
  photographerFolds,
  softmaxRows,
  uncertainThreshold,
  type PhotoEntry,
  type PhotoRunFigures,
} from '@fmnist/core';
import { preprocessVersion } from '@fmnist/core/node';
import type { PhotoRecipe } from './photo-recipe.ts';
import { predictInputs } from '../model/evaluate.ts';
import { photoBatch, trainablePhotos, type PhotoData } from './photo-data.ts';

/** Photographer groups of the validation split for the cross-fitted calibration error. */
export const CALIBRATION_GROUPS = 5;

/**
 * The calibration error to expect on new photographers: `entries` (one per
 * row of `logits`) dealt by photographer into CALIBRATION_GROUPS groups, each
 * calibrated by `fit` (fitTemperature by default) on the others.
 */
export function photographerCrossFittedEce(
  logits: ArrayLike<number>,
  right: ArrayLike<boolean>,
  entries: readonly PhotoEntry[],
  splitSeed: number,
  fit?: (logits: Float32Array, right: boolean[]) => number,
): number {
  return crossFittedCalibrationError(logits, right, photographerFolds(entries, CALIBRATION_GROUPS, splitSeed), NUM_CLASSES, 15, fit);
}

const photographers = (data: PhotoData, idx: number[]) => new Set(idx.map((i) => data.entries[i]!.senderId ?? `photo:${i}`)).size;

/** Measures a trained model on the validation photos and fits its calibration there. */
export function photoRunFigures(model: tfl.LayersModel, data: PhotoData, recipe: PhotoRecipe): PhotoRunFigures {
  const val = data.split.validation;
  const batch = photoBatch(data, val);
  const logits = predictInputs(model, batch.x, batch.size);
  const top = argmaxRows(logits, NUM_CLASSES);
  const entries = val.map((i) => data.entries[i]!);
  const right = entries.map((e, j) => accepts(acceptMask(e.accept), top[j]!));
  const labelled = entries.map((e) => e.accept.length > 0);
  // Temperature and ECE over photos that have a right answer; the threshold over all of them,
  // since photos of things no class fits are exactly what the flag is for.
  const pick = <T>(xs: ArrayLike<T>) => Array.from(xs).filter((_, j) => labelled[j]);
  const labelledLogits = Float32Array.from(entries.flatMap((_, j) => (labelled[j] ? Array.from(logits.subarray(j * NUM_CLASSES, (j + 1) * NUM_CLASSES)) : [])));
  const temperature = fitTemperature(labelledLogits, pick(right));
  // The same fit judged on photographers it did not see: what the next photos will get.
  const eceCrossFitted = photographerCrossFittedEce(labelledLogits, pick(right), pick(entries), recipe.splitSeed);
  const before = confidences(softmaxRows(logits));
  const after = confidences(softmaxRows(logits, temperature));
  const flag = uncertainThreshold(
    after,
    right.map((r) => !r),
  );
  return {
    dir: recipe.dir,
    split: `photographer-grouped fold ${recipe.fold} of ${recipe.folds} (split seed ${recipe.splitSeed}) validates`,
    trainPhotos: trainablePhotos(data).length,
    trainPhotographers: photographers(data, data.split.train),
    validationPhotos: val.length,
    validationPhotographers: photographers(data, val),
    validation: photoMetrics(entries, top),
    preprocessVersion: preprocessVersion(),
    calibration: {
      temperature,
      eceBefore: expectedCalibrationError(pick(before), pick(right)),
      eceAfter: expectedCalibrationError(pick(after), pick(right)),
      eceCrossFitted,
      uncertainThreshold: flag.threshold,
      flaggedWrong: flag.flaggedWrong,
      flaggedRight: flag.flaggedRight,
    },
    predictions: entries.map((e, j) => ({ file: e.file, top: top[j]!, confidence: after[j]! })),
  };
}
