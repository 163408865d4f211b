import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, layers } from '@tensorflow/tfjs-layers';
import { padsFor } from '../convert/layers/padding.ts';
import { TOP_CLASS } from './contract.ts';
import { graphOf, MODEL_INPUT } from '../model/spec.ts';
import { runSteps, scoped } from './reference.ts';

type Layer = layers.Layer;

/**
 * How close one image's discrete decisions sit to their thresholds in the
 * tfjs forward pass: every ReLU (|pre-activation|), every max-pool window
 * with a positive maximum (gap between its two largest values) and, when
 * the top class is explained, the argmax (gap between the two largest
 * logits), each relative to the largest magnitude in that layer. Float
 * rounding (BatchNormalization folded into the kernels, other summation
 * orders) can flip a decision closer than NEAR_THRESHOLD, and a flipped
 * decision legitimately changes the gradient.
 */
export interface DecisionMargin {
  margin: number;
  /** Where the smallest margin is, e.g. "conv2d_1 relu" or "max_pooling2d_2 window". */
  where: string;
}

/** Relative margin below which a decision counts as within float error of its threshold (~100 float32 ulps). */
export const NEAR_THRESHOLD = 1e-5;

/** Margins of one image (`pixels`: 784 floats, NHWC). */
export function decisionMargin(model: LayersModel, pixels: Float32Array, classIndex: number): DecisionMargin {
  const steps = graphOf(model);
  const shape = [1, ...(model.inputs[0]!.shape.slice(1) as number[])];
  return scoped(() => {
    let best: DecisionMargin = { margin: Infinity, where: 'none' };
    const consider = (margin: number, where: string) => {
      if (margin < best.margin) best = { margin, where };
    };
    const logits = runSteps(steps, new Map([[MODEL_INPUT, tf.tensor(pixels, shape, 'float32')]]), 0, steps.length, (layer, [x]) => {
      const kind = layer.getClassName();
      const config = layer.getConfig() as Record<string, unknown>;
      if (kind === 'Activation' && config.activation === 'relu') consider(reluMargin(x!), `${layer.name} relu`);
      if ((kind === 'Dense' || kind === 'Conv2D') && config.activation === 'relu') consider(reluMargin(linearPart(layer, x!)), `${layer.name} relu`);
      if (kind === 'MaxPooling2D') consider(poolMargin(x!, config), `${layer.name} window`);
    });
    if (classIndex === TOP_CLASS) consider(topTwoGap(logits.dataSync() as Float32Array), 'top class');
    return best;
  });
}

function reluMargin(pre: tf.Tensor): number {
  const values = pre.dataSync();
  let min = Infinity;
  let max = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return max > 0 ? min / max : Infinity;
}

/** The layer's output before its fused activation (kernel and bias applied by hand). */
function linearPart(layer: Layer, x: tf.Tensor): tf.Tensor {
  const [kernel, bias] = layer.getWeights();
  const config = layer.getConfig() as { strides?: [number, number]; padding?: 'valid' | 'same' };
  const y =
    layer.getClassName() === 'Dense'
      ? tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D)
      : tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, config.strides ?? [1, 1], config.padding ?? 'valid');
  return bias ? tf.add(y, bias) : y;
}

function poolMargin(x: tf.Tensor, config: Record<string, unknown>): number {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const [ph, pw] = config.poolSize as [number, number];
  const [sh, sw] = (config.strides as [number, number] | null) ?? [ph, pw];
  const padding = (config.padding as 'valid' | 'same') ?? 'valid';
  const rows = padsFor(padding, h, ph, sh);
  const cols = padsFor(padding, w, pw, sw);
  const values = x.dataSync();
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  if (scale === 0) return Infinity;
  let margin = Infinity;
  for (let oy = 0; oy < rows.out; oy++) {
    for (let ox = 0; ox < cols.out; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let first = -Infinity;
        let second = -Infinity;
        for (let y = oy * sh - rows.before; y < oy * sh - rows.before + ph; y++) {
          for (let xx = ox * sw - cols.before; xx < ox * sw - cols.before + pw; xx++) {
            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
            const v = values[(y * w + xx) * c + ch]!;
            if (v > first) [first, second] = [v, first];
            else if (v > second) second = v;
          }
        }
        // An all-zero window (after a ReLU) is an exact tie both runtimes break alike; its zeros are ReLU decisions, checked there.
        if (first > 0) margin = Math.min(margin, (first - second) / scale);
      }
    }
  }
  return margin;
}

function topTwoGap(logits: Float32Array): number {
  let first = -Infinity;
  let second = -Infinity;
  let scale = 0;
  for (const v of logits) {
    if (v > first) [first, second] = [v, first];
    else if (v > second) second = v;
    scale = Math.max(scale, Math.abs(v));
  }
  return scale > 0 ? (first - second) / scale : Infinity;
}
