import * as tf from '@tensorflow/tfjs-core';
// tf.grad needs the gradient registry, which tfjs-core leaves to its users; tfjs-layers' Node bundle registers it
// (importing tfjs-core's dist/register_all_gradients directly fails under Node's ESM resolver).
import '@tensorflow/tfjs-layers';
import type { LayersModel, layers } from '@tensorflow/tfjs-layers';
import { MAP_SIZE, TOP_CLASS, type ExplainTarget, type SaliencyForm } from './contract.ts';
import { graphOf, MODEL_INPUT, type Placed } from '../model/spec.ts';
import { withReferenceKernels } from './reference-backend.ts';

type Layer = layers.Layer;

/**
 * The reference explanations: tfjs's own autodiff (`tf.grad`) on the trained
 * layers model, un-exported (BatchNormalization as a layer, Dropout in
 * inference mode), with the same map definitions as the ONNX graph.
 */
export interface ReferenceOptions {
  saliencyForm: SaliencyForm;
  target: ExplainTarget;
  /** A calibrated model's temperature (log-probability target: p = softmax(logits / T)). */
  temperature?: number;
}

export interface ReferenceExplanation {
  /** [n, classes] */
  logits: Float32Array;
  explained: Int32Array;
  /** [n, 784] d target / d input. */
  inputGradient: Float32Array;
  /** [n, 784] normalised to [0, 1] per image. */
  saliency: Float32Array;
  /** [n, 784] normalised Grad-CAM, for models with a Conv2D. */
  gradcam?: Float32Array;
}

/**
 * Index of the Grad-CAM layer. With a GlobalAveragePooling2D head (a ResNet):
 * the layer it pools, after the last block's ReLU. Otherwise the last Conv2D,
 * extended over the BatchNormalization and Activation layers after it.
 * Undefined for a model without a Conv2D.
 */
function gradCamLayerIndex(steps: readonly Placed[]): number | undefined {
  const convs = steps.flatMap((s, i) => (s.layer.getClassName() === 'Conv2D' ? [i] : []));
  if (convs.length === 0) return undefined;
  const pooling = steps.findLast((s) => s.layer.getClassName() === 'GlobalAveragePooling2D');
  if (pooling) {
    const index = steps.findIndex((s) => s.layer.name === pooling.inputs[0]);
    return index >= convs[0]! ? index : undefined;
  }
  let index = convs[convs.length - 1]!;
  while (['BatchNormalization', 'Activation'].includes(steps[index + 1]?.layer.getClassName() ?? '')) index++;
  return index;
}

/** tf.tidy for results that are plain data (tf.tidy's types only admit tensors): every tensor made in `fn` is freed. */
export function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

/**
 * Applies steps [from, to) in inference mode to the tensors in `known` (by
 * layer name, MODEL_INPUT for the input) and returns the last one's output;
 * `visit` sees each layer with the tensors it reads. A step reading a tensor
 * outside `known` and the range is an error: a split must cut the graph.
 */
export function runSteps(
  steps: readonly Placed[],
  known: ReadonlyMap<string, tf.Tensor>,
  from: number,
  to: number,
  visit?: (layer: Layer, inputs: tf.Tensor[]) => void,
): tf.Tensor {
  const tensors = new Map(known);
  let y: tf.Tensor | undefined;
  for (let i = from; i < to; i++) {
    const { layer, inputs } = steps[i]!;
    const xs = inputs.map((name) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`internal: '${layer.name}' reads '${name}', which is not computed from the split point`);
      return t;
    });
    visit?.(layer, xs);
    y = layer.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor;
    tensors.set(layer.name, y);
  }
  if (!y) throw new Error('internal: no layer to apply');
  return y;
}

/** Scales each map of a [n, ...] non-negative tensor by its maximum (an all-zero map stays zero). */
export function normaliseMaps(maps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const axes = maps.shape.slice(1).map((_, i) => i + 1);
    const max = tf.max(maps, axes, true);
    return tf.div(maps, tf.where(tf.greater(max, 0), max, tf.onesLike(max)));
  });
}

function saliencyOf(gradient: tf.Tensor, input: tf.Tensor, form: SaliencyForm): tf.Tensor {
  return tf.tidy(() => {
    if (form === 'abs-gradient') return tf.abs(gradient);
    const product = tf.mul(gradient, input);
    return form === 'abs-gradient-x-input' ? tf.abs(product) : tf.relu(product);
  });
}

/**
 * The explained scalar per image, summed over the batch (images are
 * independent, so its gradient holds each image's own). The log-probability
 * has two exact forms, each used where it is numerically sound:
 *  - the top class: −log1p(Σ_{j≠c} exp((z_j − z_c) / T)), whose autodiff sums
 *    the rival probabilities for d/dz_c instead of forming 1 − p_c, which
 *    float32 rounds to noise (or 0) for a confident class;
 *  - any other class: (z_c − logsumexp(z)) / T with tfjs's stable
 *    logSumExp (the first form would overflow where z_top − z_c > 88 T).
 * Both are finite everywhere (the first with its exponents clamped at 0,
 * which only binds where it is masked out), so masking multiplies the
 * unused one's gradient by an exact 0.
 */
function targetOf(logits: tf.Tensor, oneHot: tf.Tensor, isTop: tf.Tensor, target: ExplainTarget, temperature: number): tf.Tensor {
  if (target === 'logit') return tf.sum(tf.mul(logits, oneHot));
  const scaled = tf.div(logits, temperature);
  const own = tf.sum(tf.mul(scaled, oneHot), 1);
  const rivals = tf.mul(tf.exp(tf.minimum(tf.sub(scaled, tf.expandDims(own, 1)), 0)), tf.sub(1, oneHot));
  const topForm = tf.neg(tf.log1p(tf.sum(rivals, 1)));
  const otherForm = tf.sub(own, tf.logSumExp(scaled, 1));
  return tf.sum(tf.add(tf.mul(isTop, topForm), tf.mul(tf.sub(1, isTop), otherForm)));
}

/**
 * Explains `n` images given as a flat NHWC buffer; `classes[i]` is the class
 * to explain for image i or TOP_CLASS. With a Grad-CAM layer the model is
 * split there (it cuts the graph): f2's gradient at the activation A comes first, then the
 * input gradient is f1's vector-Jacobian product with it (tf.grad with an
 * upstream dy), which is the chain rule tfjs applies anyway and saves a pass.
 */
export function referenceExplain(
  model: LayersModel,
  input: Float32Array,
  n: number,
  classes: ArrayLike<number>,
  { saliencyForm: form, target, temperature = 1 }: ReferenceOptions,
): ReferenceExplanation {
  const steps = graphOf(model); // topological order, a chain or a residual DAG
  const split = (gradCamLayerIndex(steps) ?? -1) + 1;
  const shape = [n, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const f1 = (t: tf.Tensor) => (split === 0 ? t : runSteps(steps, new Map([[MODEL_INPUT, t]]), 0, split));
  const f2 = (t: tf.Tensor) => runSteps(steps, new Map([[split === 0 ? MODEL_INPUT : steps[split - 1]!.layer.name, t]]), split, steps.length);
  return withReferenceKernels(() =>
    scoped(() => {
      const x = tf.tensor(input, shape, 'float32');
      const activation = f1(x);
      const logits = f2(activation);
      const top = tf.argMax(logits, 1).dataSync();
      const explained = Int32Array.from({ length: n }, (_, i) => (classes[i] === TOP_CLASS ? top[i]! : classes[i]!));
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(explained, 'int32'), logits.shape[1]!), 'float32');
      const isTop = tf.tensor1d(
        Array.from(explained, (c, i) => (c === top[i] ? 1 : 0)),
        'float32',
      );
      const activationGradient = tf.grad((a: tf.Tensor) => targetOf(f2(a), oneHot, isTop, target, temperature))(activation);
      const inputGradient = split === 0 ? activationGradient : tf.grad(f1)(x, activationGradient);
      const result: ReferenceExplanation = {
        logits: logits.dataSync() as Float32Array,
        explained,
        inputGradient: inputGradient.dataSync() as Float32Array,
        saliency: normaliseMaps(saliencyOf(inputGradient, x, form)).dataSync() as Float32Array,
      };
      if (split > 0) {
        const weights = tf.mean(activationGradient, [1, 2], true);
        const cam = tf.relu(tf.sum(tf.mul(activation, weights), -1, true));
        const resized = tf.image.resizeBilinear(cam as tf.Tensor4D, [...MAP_SIZE], false, true);
        result.gradcam = normaliseMaps(resized).dataSync() as Float32Array;
      }
      return result;
    }),
  );
}
