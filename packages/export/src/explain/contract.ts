import { CLASS_NAMES, IMAGE_HEIGHT, IMAGE_WIDTH, MODEL_KINDS, NUM_CLASSES, type ModelKind, type ShippedModel } from '@fmnist/core';
import { ExplainClassError } from '../errors.ts';

/**
 * The explanation graph's interface (tensor names, TOP_CLASS, map kinds) is
 * core's (explain.ts), shared with serve and the web demo; what follows is
 * how the exporter builds it.
 */
import { TOP_CLASS, type MapKind } from '@fmnist/core';
export { EXPLAIN_INPUTS, EXPLAIN_OUTPUTS, TOP_CLASS, type MapKind } from '@fmnist/core';

/**
 * Opset of the explanation graph: 16 for ScatterElements with reduction
 * 'add' (max-pool backward with overlapping windows) and Shape start/end
 * (15). onnxruntime-node and -web 1.30 implement opset 16 on CPU/wasm.
 */
export const EXPLAIN_OPSET = 16;

/** Maps are resized to the input's size. */
export const MAP_SIZE = [IMAGE_HEIGHT, IMAGE_WIDTH] as const;

/** ONNX Resize attributes of the Grad-CAM upsampling; the tfjs reference uses resizeBilinear(halfPixelCenters = true), the same convention. */
export const RESIZE_CONVENTION = { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } as const;

/**
 * How the input gradient g becomes the saliency map (before normalisation):
 * 'abs-gradient' |g|, 'abs-gradient-x-input' |g·x|, 'positive-gradient-x-input' max(g·x, 0).
 */
export const SALIENCY_FORMS = ['abs-gradient', 'abs-gradient-x-input', 'positive-gradient-x-input'] as const;
export type SaliencyForm = (typeof SALIENCY_FORMS)[number];

/**
 * The scalar each map explains (its gradient is taken), for the explained class c:
 *  - 'logit': z_c, the class's logit (a calibrated model's temperature only
 *    divides logits, so z_c / T would give the same normalised maps).
 *  - 'log-probability': log p_c, p = the graph's `probabilities` (for a
 *    calibrated model softmax(z / T), what users see). Its gradient is
 *    Σ_j (δ_cj − p_j) / T · dz_j, the first-order estimate of what removing
 *    pixels does to log p_c: pixels that also support rival classes count less.
 */
export const EXPLAIN_TARGETS = ['logit', 'log-probability'] as const;
export type ExplainTarget = (typeof EXPLAIN_TARGETS)[number];

/** What an explanation graph computes: the target, how the input gradient becomes `saliency`, and which map `heatmap` is. */
export interface ExplanationChoice {
  target: ExplainTarget;
  saliencyForm: SaliencyForm;
  heatmap: MapKind;
}

/**
 * The default explanation of each shipped model, chosen by the deletion test
 * on its Fashion-MNIST validation images (docs/explanations.md, `pnpm
 * bench:explain`): the ranking whose top 10% of pixels, removed, lowers the
 * class probability most against random garment pixels. Positive gradient x
 * input wins on the CNNs and the MLP; the log-probability target edges out the logit
 * on cnn (1.94x vs 1.88x) and mlp (22.96x vs 22.84x), the logit on cnn-photo
 * (1.76x vs 1.72x). On the ResNet, whose global-average-pooling head makes
 * Grad-CAM exact class activation mapping, Grad-CAM of the log-probability
 * wins (1.79x, against 1.54x for positive gradient x input). The photo-tuned ResNet
 * turns that round: positive gradient x input of the log-probability 1.62x, Grad-CAM 1.42x
 * (1.56x and 1.48x for the logit). The graph records its choice in its metadata
 * (`explanation.target`, `explanation.default_method`).
 */
export const SHIPPED_EXPLANATIONS: Readonly<Record<ShippedModel, ExplanationChoice>> = {
  'resnet-photo': { target: 'log-probability', saliencyForm: 'positive-gradient-x-input', heatmap: 'saliency' },
  'cnn-photo': { target: 'logit', saliencyForm: 'positive-gradient-x-input', heatmap: 'saliency' },
  cnn: { target: 'log-probability', saliencyForm: 'positive-gradient-x-input', heatmap: 'saliency' },
  mlp: { target: 'log-probability', saliencyForm: 'positive-gradient-x-input', heatmap: 'saliency' },
  resnet: { target: 'log-probability', saliencyForm: 'positive-gradient-x-input', heatmap: 'gradcam' },
};

/** For any other model (a run directory) of unknown kind: what most shipped models chose. */
export const DEFAULT_EXPLANATION: ExplanationChoice = { target: 'log-probability', saliencyForm: 'positive-gradient-x-input', heatmap: 'saliency' };

/**
 * The default explanation of a model outside SHIPPED_EXPLANATIONS (a run
 * directory, a model not measured yet), by its kind: the shipped model of
 * that kind's choice: a ResNet run takes the shipped ResNet's.
 */
export const KIND_EXPLANATIONS: Readonly<Record<ModelKind, ExplanationChoice>> = {
  mlp: SHIPPED_EXPLANATIONS.mlp,
  cnn: SHIPPED_EXPLANATIONS.cnn,
  resnet: SHIPPED_EXPLANATIONS.resnet,
};

/**
 * The explanation of `model`: its deletion-test choice when it is a shipped
 * model, otherwise its kind's (`kind`, or the name itself when it names a
 * kind, e.g. a run exported as 'resnet'), otherwise DEFAULT_EXPLANATION.
 */
export function explanationChoiceFor(model: string, kind?: ModelKind): ExplanationChoice {
  const shipped = (SHIPPED_EXPLANATIONS as Partial<Record<string, ExplanationChoice>>)[model];
  if (shipped) return shipped;
  const byKind = kind ?? ((MODEL_KINDS as readonly string[]).find((k) => k === model) as ModelKind | undefined);
  return byKind ? KIND_EXPLANATIONS[byKind] : DEFAULT_EXPLANATION;
}

/** The saliency form and heatmap every default shares (exported for serve and web). */
export const SALIENCY_FORM: SaliencyForm = DEFAULT_EXPLANATION.saliencyForm;
export const DEFAULT_HEATMAP: MapKind = DEFAULT_EXPLANATION.heatmap;

/**
 * Checks the classes to explain for `count` images and returns the graph's
 * int64 `class` tensor data: one entry per image, each TOP_CLASS (-1) or a
 * class index 0..classes-1. Throws ExplainClassError otherwise.
 */
export function explainClassTensor(classes: readonly unknown[], count: number, numClasses: number = NUM_CLASSES): BigInt64Array {
  if (classes.length !== count) {
    throw new ExplainClassError(
      'count-mismatch',
      -1,
      classes.length,
      `${classes.length} class indices for ${count} images: give one per image (${TOP_CLASS} for the top class)`,
    );
  }
  const out = new BigInt64Array(count);
  classes.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new ExplainClassError(
        'not-integer',
        i,
        value,
        `class to explain #${i} is ${JSON.stringify(value)}: use an integer, 0..${numClasses - 1} (${classNames(numClasses)}) or ${TOP_CLASS} for the top class`,
      );
    }
    if (value < TOP_CLASS || value >= numClasses) {
      throw new ExplainClassError(
        'out-of-range',
        i,
        value,
        `class to explain #${i} is ${value}: use 0..${numClasses - 1} (${classNames(numClasses)}) or ${TOP_CLASS} for the top class`,
      );
    }
    out[i] = BigInt(value);
  });
  return out;
}

function classNames(classes: number): string {
  return classes === NUM_CLASSES ? CLASS_NAMES.map((n, i) => `${i} ${n}`).join(', ') : `${classes} classes`;
}
