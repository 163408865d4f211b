import type { Calibration, RunMetrics } from '@fmnist/core';

/** A photo-tuned run's calibration and what it was trained and validated on, as the ONNX metadata carries them. */
export interface SourcePhotos {
  calibration: Calibration;
  trainingData: Record<string, unknown>;
}

/** The `photos` block of a run's metrics.json (written by train); undefined for runs trained on Fashion-MNIST alone. */
export function sourcePhotos(metrics: RunMetrics | undefined): SourcePhotos | undefined {
  const photos = metrics?.photos;
  if (!metrics || !photos) return undefined;
  const v = photos.validation;
  return {
    calibration: photos.calibration,
    trainingData: {
      datasets: ['Fashion-MNIST train split (less a seeded validation hold-out)', `real photos (${photos.dir})`],
      fashionMnistValidation: { images: metrics.recipe.validationCount, accuracy: metrics.validationAccuracy },
      photos: {
        train: photos.trainPhotos,
        trainPhotographers: photos.trainPhotographers,
        validation: photos.validationPhotos,
        validationPhotographers: photos.validationPhotographers,
        split: photos.split,
      },
      photoValidation: {
        acceptTop1: v.acceptTop1,
        count: v.count,
        strictTop1: v.strictTop1,
        strictCount: v.strictCount,
        // Which preprocessing the figures hold for (core's preprocessVersion); absent for runs measured before it was recorded.
        ...(photos.preprocessVersion ? { preprocessVersion: photos.preprocessVersion } : {}),
      },
      recipe: metrics.recipe,
    },
  };
}
