import { INPUT_CONTRACT, OUTPUT_NAMES } from './contract.ts';

/**
 * The explanation graphs' interface as their consumers (serve, the web demo)
 * see it: where the graph lives, what it is called, its tensors and how its
 * ONNX metadata names the default map. The exporter writes graphs to match.
 */

/** models/<EXPLAIN_DIR>/<model>.onnx: the explanation graph of models/<model>.onnx. */
export const EXPLAIN_DIR = 'explain';

/** The graph's name as a model of its own (KServe v2): `cnn` -> `cnn-explain`. */
export function explainModelName(model: string): string {
  return `${model}-explain`;
}

/** Input names: the image (the classifier's contract) and the class to explain (int64 [N]). */
export const EXPLAIN_INPUTS = { image: INPUT_CONTRACT.name, class: 'class' } as const;

export const EXPLAIN_OUTPUTS = {
  logits: OUTPUT_NAMES.logits,
  probabilities: OUTPUT_NAMES.probabilities,
  /** int64 [N]: the class each map explains (the top class where `class` was TOP_CLASS). */
  explainedClass: 'explained_class',
  /** float32 [N, 28, 28] in [0, 1]: the default map (metadata `explanation.heatmap`). */
  heatmap: 'heatmap',
  /** float32 [N, 28, 28] in [0, 1]: Grad-CAM (models with a Conv2D only). */
  gradcam: 'gradcam',
  /** float32 [N, 28, 28] in [0, 1]: the input-gradient map. */
  saliency: 'saliency',
  /** float32 [N, 1, 28, 28]: d logit[class] / d input, raw and signed. */
  inputGradient: 'input_gradient',
} as const;

/** `class` value meaning "explain the top class". */
export const TOP_CLASS = -1;

export const MAP_KINDS = ['gradcam', 'saliency'] as const;
export type MapKind = (typeof MAP_KINDS)[number];

/** What a graph's `explanation` metadata says about its maps. */
export interface ExplanationInfo {
  /** The map the `heatmap` output holds. */
  heatmap: MapKind;
  /** The maps the graph computes. */
  maps: MapKind[];
  /** How the input gradient becomes the saliency map (e.g. 'positive-gradient-x-input'). */
  saliency?: string;
  /** The scalar whose gradient the maps show ('logit', 'log-probability'), when the graph records it. */
  target?: string;
  /** The key the classifier and the graph share when they come from the same trained weights. */
  sourceSha256?: string;
}
