import { CLASS_NAMES, INPUT_CONTRACT, OUTPUT_NAMES } from '@fmnist/core';
import type { SourceMetrics, SourcePhotos } from './model/run-metrics.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';

export interface MetadataSource {
  /** Model name, e.g. 'mlp'. */
  name: string;
  sha256: string;
  metrics: SourceMetrics | undefined;
  /** Photo-tuned runs: calibration and training data. */
  photos?: SourcePhotos | undefined;
}

/** Keys of the ONNX metadata_props written by the exporter (values are strings; structured ones are JSON). */
export const METADATA_KEYS = {
  classNames: 'class_names',
  preprocessing: 'preprocessing',
  outputs: 'outputs',
  sourceModel: 'source_model',
  sourceSha256: 'source_sha256',
  sourceMetrics: 'source_test_metrics',
  exporter: 'exporter',
  exporterVersion: 'exporter_version',
  /** Only on the int8 variant. */
  weights: 'weights',
  /** Photo-tuned models: {temperature, uncertain_threshold, ...}; `probabilities` are already calibrated. */
  calibration: 'calibration',
  /** Photo-tuned models: datasets, counts, the validation split and its figures. */
  trainingData: 'training_data',
} as const;

export const INT8_WEIGHTS_NOTE = 'int8 symmetric per-output-channel, dequantized in-graph (DequantizeLinear); activations float32';

/**
 * Everything a consumer needs to use the file without this repository:
 * what the input must be, what the outputs mean, which source it came from
 * and how well that source scored on the test set.
 */
export function buildMetadata(source: MetadataSource): Record<string, string> {
  const metrics = source.metrics;
  return {
    [METADATA_KEYS.classNames]: JSON.stringify(CLASS_NAMES),
    [METADATA_KEYS.preprocessing]: JSON.stringify({
      input: INPUT_CONTRACT.name,
      dtype: INPUT_CONTRACT.dtype,
      shape: INPUT_CONTRACT.onnxShape,
      layout: 'NCHW',
      range: INPUT_CONTRACT.range,
      scale: INPUT_CONTRACT.scale,
      polarity: INPUT_CONTRACT.polarity,
      note: 'pixel = byte / 255, row-major 28x28, one channel',
    }),
    [METADATA_KEYS.outputs]: JSON.stringify({
      [OUTPUT_NAMES.logits]: 'pre-softmax class scores [N, 10]',
      [OUTPUT_NAMES.probabilities]: source.photos ? `softmax(${OUTPUT_NAMES.logits} / ${source.photos.calibration.temperature}) [N, 10], calibrated on real photos` : `softmax(${OUTPUT_NAMES.logits}) [N, 10]`,
    }),
    [METADATA_KEYS.sourceModel]: source.name,
    [METADATA_KEYS.sourceSha256]: source.sha256,
    [METADATA_KEYS.sourceMetrics]: metrics
      ? JSON.stringify({ accuracy: metrics.accuracy, macro: metrics.macro, count: metrics.count, confusion: metrics.confusion })
      : 'unavailable (no metrics.json beside the source model)',
    ...(source.photos
      ? {
          [METADATA_KEYS.calibration]: JSON.stringify({
            temperature: source.photos.calibration.temperature,
            uncertain_threshold: source.photos.calibration.uncertainThreshold,
            fitted_on: 'photo validation split (accept-top1 correctness of the top class)',
            ece_before: source.photos.calibration.eceBefore,
            ece_after: source.photos.calibration.eceAfter,
          }),
          [METADATA_KEYS.trainingData]: JSON.stringify(source.photos.trainingData),
        }
      : {}),
    [METADATA_KEYS.exporter]: EXPORTER_NAME,
    [METADATA_KEYS.exporterVersion]: EXPORTER_VERSION,
  };
}
