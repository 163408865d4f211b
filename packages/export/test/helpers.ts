import * as tf from '@tensorflow/tfjs-core';
import { createRng, runClassifier } from '@fmnist/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { convertSpec, type ConvertResult } from '../src/convert/convert.ts';
import { specFromLayersModel } from '../src/model/spec.ts';
import { openCpuSession } from '../src/ort.ts';
import { nhwcToNchw } from '../src/layout.ts';
import { predictFlat } from '../src/tfjs.ts';

/** Small deterministic PRNG so a failing case reproduces. */
export const rng = createRng;

export function uniform(n: number, lo: number, hi: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Largest |reference - other|, and the largest |reference| it should be judged against. */
export function deviation(reference: ArrayLike<number>, other: ArrayLike<number>): { maxAbs: number; maxLogit: number } {
  let maxAbs = 0;
  let maxLogit = 0;
  for (let i = 0; i < reference.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(reference[i]! - other[i]!));
    maxLogit = Math.max(maxLogit, Math.abs(reference[i]!));
  }
  return { maxAbs, maxLogit };
}

/**
 * Replaces every weight with random values: a freshly initialised layer has
 * zero biases and identity BatchNormalization statistics, which would let
 * bias or folding bugs pass unseen.
 */
export function randomizeWeights(model: LayersModel, seed: number): void {
  const next = rng(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const shape = w.shape as number[]; // weights always have fixed shapes
      const size = shape.reduce((a, b) => a * b, 1);
      // Kernels scaled by 1/sqrt(fan-in) keep activations O(1) through deep stacks, so a
      // 1e-5 absolute tolerance stays a meaningful (not a relative 1e-8) bound.
      const fanIn = short === 'kernel' ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
      const bound = short === 'kernel' ? Math.sqrt(3 / fanIn) : 0.6;
      const [lo, hi] = short === 'moving_variance' || short === 'gamma' ? [0.3, 2] : [-bound, bound];
      return tf.tensor(uniform(size, lo, hi, next), shape);
    });
    if (values.length) layer.setWeights(values);
    tf.dispose(values);
  }
}

export interface Comparison {
  maxAbs: number;
  result: ConvertResult;
  tfjs: Float32Array;
  onnx: Float32Array;
}

/** Converts `model`, runs tfjs and onnxruntime (all optimizations) on `n` random inputs, returns the largest |difference|. */
export async function compareOnRandomInputs(model: LayersModel, n: number, seed: number): Promise<Comparison> {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const input = uniform(n * shape.reduce((a, b) => a * b, 1), 0, 1, rng(seed));
  const tfjs = predictFlat(model, input, [n, ...shape]);
  const result = convertSpec(specFromLayersModel(model), { name: 'test' });
  const session = await openCpuSession(result.bytes);
  const onnxInput = shape.length === 3 ? nhwcToNchw(input, [n, ...(shape as [number, number, number])]) : input;
  const outputs = await runClassifier(
    session,
    onnxInput,
    result.inputDims.map((d) => (d === 'N' ? n : (d as number))),
  );
  await session.release();
  const onnx = result.sourceOutputsProbabilities ? outputs.probabilities : outputs.logits;
  if (onnx.length !== tfjs.length) throw new Error(`onnx gave ${onnx.length} values, tfjs ${tfjs.length}`);
  let maxAbs = 0;
  for (let i = 0; i < tfjs.length; i++) maxAbs = Math.max(maxAbs, Math.abs(tfjs[i]! - onnx[i]!));
  return { maxAbs, result, tfjs, onnx };
}
