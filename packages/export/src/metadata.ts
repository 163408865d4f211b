import { CLASS_NAMES, INPUT_CONTRACT, METADATA_KEYS, OUTPUT_NAMES, type ClassificationMetrics } from '@fmnist/core';
import type { SourcePhotos } from './model/run-metrics.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';

export interface MetadataSource {
  /** Model name, e.g. 'mlp'. */
  name: string;
  sha256: string;
  metrics: ClassificationMetrics | undefined;
  /** Photo-tuned runs: calibration and training data. */
  photos?: SourcePhotos | undefined;
}

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
      [OUTPUT_NAMES.probabilities]: source.photos
        ? `softmax(${OUTPUT_NAMES.logits} / ${source.photos.calibration.temperature}) [N, 10], calibrated on real photos`
        : `softmax(${OUTPUT_NAMES.logits}) [N, 10]`,
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

export interface ExplanationFacts {
  maps: readonly string[];
  heatmap: string;
  gradCamLayer?: string | undefined;
  saliencyForm: string;
  /** 'logit' or 'log-probability' (see contract.ts EXPLAIN_TARGETS). */
  target: string;
  temperature: number;
}

/**
 * Metadata of the explanation graph: the classifier's, with `outputs`
 * describing its outputs and `explanation` its contract, so a KServe or
 * Triton client can use it without this repository.
 */
export function buildExplanationMetadata(source: MetadataSource, facts: ExplanationFacts): Record<string, string> {
  const classifier = buildMetadata(source);
  const t = facts.temperature;
  const scalar = facts.target === 'logit' ? 'logit[class]' : `log probabilities[class]`;
  const targetMeaning =
    facts.target === 'logit'
      ? 'logits[class], the pre-softmax score of the explained class'
      : `log probabilities[class] = log softmax(logits${t === 1 ? '' : ` / ${t}`})[class], the log of the (calibrated) probability the classifier reports; its gradient is sum_j (onehot_j - probabilities_j)${t === 1 ? '' : ` / ${t}`} * d logits_j`;
  return {
    ...classifier,
    [METADATA_KEYS.outputs]: JSON.stringify({
      ...(JSON.parse(classifier[METADATA_KEYS.outputs]!) as Record<string, string>),
      explained_class: 'int64 [N]: the class each map explains',
      heatmap: `[N, 28, 28] in [0, 1]: the default map (${facts.heatmap})`,
      ...(facts.maps.includes('gradcam')
        ? {
            gradcam: `[N, 28, 28] in [0, 1]: Grad-CAM of ${scalar} on ${facts.gradCamLayer} (after its ReLU, before pooling), bilinear resize (ONNX Resize linear, half_pixel)`,
          }
        : {}),
      saliency: `[N, 28, 28] in [0, 1]: ${facts.saliencyForm} of d ${scalar} / d input`,
      input_gradient: `[N, 1, 28, 28]: d ${scalar} / d input, raw`,
    }),
    [METADATA_KEYS.explanation]: JSON.stringify({
      class_input: {
        name: 'class',
        dtype: 'int64',
        shape: [-1],
        meaning: 'class index 0..9 per image, or -1 for the top class; >= 10 fails (Gather bounds check)',
      },
      target: facts.target,
      target_meaning: targetMeaning,
      maps: facts.maps,
      heatmap: facts.heatmap,
      default_method: facts.heatmap === 'gradcam' ? 'gradcam' : facts.saliencyForm,
      chosen_by: 'deletion test on Fashion-MNIST validation images (docs/explanations.md)',
      normalisation: 'each map divided by its maximum (an all-zero map stays zero)',
      gradcam_layer: facts.gradCamLayer ?? null,
      saliency: facts.saliencyForm,
      resize: 'ONNX Resize mode=linear coordinate_transformation_mode=half_pixel (= tf.image.resizeBilinear halfPixelCenters)',
      exact:
        'gradients by reverse-mode differentiation in-graph: ReLU masks, max-pool argmax routing (first maximum in row-major window order), transposed Gemm/Conv with the forward weights (batch normalization folded into them, inference mode)',
    }),
  };
}
