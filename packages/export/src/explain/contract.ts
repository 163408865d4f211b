import { CLASS_NAMES, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
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

/** Chosen by the deletion test (docs/explanations.md, `pnpm bench:explain`). */
export const SALIENCY_FORM: SaliencyForm = 'positive-gradient-x-input';

/**
 * The map `heatmap` returns, for every model: chosen by the deletion test
 * (docs/explanations.md). On the CNN, removing the pixels Grad-CAM ranks
 * highest lowers the class probability less than removing random garment
 * pixels; positive gradient x input lowers it most, on both models.
 */
export const DEFAULT_HEATMAP: MapKind = 'saliency';

/**
 * Checks the classes to explain for `count` images and returns the graph's
 * int64 `class` tensor data: one entry per image, each TOP_CLASS (-1) or a
 * class index 0..classes-1. Throws ExplainClassError otherwise.
 */
export function explainClassTensor(classes: readonly unknown[], count: number, numClasses: number = NUM_CLASSES): BigInt64Array {
  if (classes.length !== count) {
    throw new ExplainClassError('count-mismatch', -1, classes.length, `${classes.length} class indices for ${count} images: give one per image (${TOP_CLASS} for the top class)`);
  }
  const out = new BigInt64Array(count);
  classes.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new ExplainClassError('not-integer', i, value, `class to explain #${i} is ${JSON.stringify(value)}: use an integer, 0..${numClasses - 1} (${classNames(numClasses)}) or ${TOP_CLASS} for the top class`);
    }
    if (value < TOP_CLASS || value >= numClasses) {
      throw new ExplainClassError('out-of-range', i, value, `class to explain #${i} is ${value}: use 0..${numClasses - 1} (${classNames(numClasses)}) or ${TOP_CLASS} for the top class`);
    }
    out[i] = BigInt(value);
  });
  return out;
}

function classNames(classes: number): string {
  return classes === NUM_CLASSES ? CLASS_NAMES.map((n, i) => `${i} ${n}`).join(', ') : `${classes} classes`;
}
