import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExplainClassError } from '../errors.ts';
import { specFromLayersModel } from '../model/spec.ts';
import { openCpuSession } from '../ort.ts';
import { useCpuBackend } from '../tfjs.ts';
import { explainClassTensor, TOP_CLASS } from './contract.ts';
import { buildExplanationGraph } from './graph.ts';
import { referenceExplain } from './reference.ts';
import { runExplanation } from './run.ts';

// A model small enough to explain by hand: a 2x2 stride-2 convolution with one
// filter (every weight 0.5, bias -0.2) and ReLU gives A, 14x14; a 7x7 max-pool
// leaves 2x2; a Dense maps those 4 values to 2 classes.
const BIAS = -0.2;
const DENSE = [
  [1, -1],
  [2, 0.5],
  [-1, -1],
  [0.5, -0.5],
]; // [pooled cell k = 2·qi + qj][class]; class 1 sums negative: its Grad-CAM is all zero
const DENSE_BIAS = [0.1, -0.3];

function tinyModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 1, kernelSize: 2, strides: 2, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 7 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  model.layers[0]!.setWeights([tf.fill([2, 2, 1, 1], 0.5), tf.tensor1d([BIAS])]);
  model.layers[3]!.setWeights([tf.tensor2d(DENSE), tf.tensor1d(DENSE_BIAS)]);
  return model;
}

/** Values up to 0.8; two 2x2 blocks of 1s tie for the first pooling window's maximum; a zero quadrant makes an all-zero window. */
function tinyImage(): Float32Array {
  const x = new Float32Array(784);
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) x[r * 28 + c] = ((r * 7 + c * 3) % 9) / 10;
  for (const c0 of [2, 6]) for (let r = 2; r < 4; r++) for (let c = c0; c < c0 + 2; c++) x[r * 28 + c] = 1;
  for (let r = 14; r < 28; r++) for (let c = 0; c < 14; c++) x[r * 28 + c] = 0;
  return x;
}

/** The explanation worked out from the definitions, in plain loops. */
function byHand(x: Float32Array, cls: number) {
  const pre = (i: number, j: number) =>
    0.5 * (x[2 * i * 28 + 2 * j]! + x[2 * i * 28 + 2 * j + 1]! + x[(2 * i + 1) * 28 + 2 * j]! + x[(2 * i + 1) * 28 + 2 * j + 1]!) + BIAS;
  const a = (i: number, j: number) => Math.max(0, pre(i, j));
  const pooled: number[] = [];
  const argmax: [number, number][] = [];
  for (let qi = 0; qi < 2; qi++) {
    for (let qj = 0; qj < 2; qj++) {
      let best = -Infinity;
      let at: [number, number] = [0, 0];
      // First maximum in row-major order, as tfjs and onnxruntime break ties.
      for (let i = 7 * qi; i < 7 * qi + 7; i++) for (let j = 7 * qj; j < 7 * qj + 7; j++) if (a(i, j) > best) [best, at] = [a(i, j), [i, j]];
      pooled.push(best);
      argmax.push(at);
    }
  }
  const logits = [0, 1].map((c) => pooled.reduce((s, p, k) => s + p * DENSE[k]![c]!, DENSE_BIAS[c]!));
  const dA = (i: number, j: number) => argmax.reduce((s, [ai, aj], k) => s + (ai === i && aj === j ? DENSE[k]![cls]! : 0), 0);
  const weight = DENSE.reduce((s, row) => s + row[cls]!, 0) / 196; // mean of dA over the 14x14 map
  const cam = (i: number, j: number) => Math.max(0, weight * a(i, j));
  // Bilinear, half-pixel centres, edges clamped: source coordinate (y + 0.5) / 2 - 0.5.
  const resized = new Float32Array(784);
  const taps = (y: number): [number, number, number] => {
    const s = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), 13);
    const i0 = Math.floor(s);
    return [i0, Math.min(i0 + 1, 13), s - i0];
  };
  for (let y = 0; y < 28; y++) {
    for (let xx = 0; xx < 28; xx++) {
      const [r0, r1, fr] = taps(y);
      const [c0, c1, fc] = taps(xx);
      resized[y * 28 + xx] = (1 - fr) * ((1 - fc) * cam(r0, c0) + fc * cam(r0, c1)) + fr * ((1 - fc) * cam(r1, c0) + fc * cam(r1, c1));
    }
  }
  const gradient = new Float32Array(784);
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) gradient[r * 28 + c] = pre(r >> 1, c >> 1) > 0 ? 0.5 * dA(r >> 1, c >> 1) : 0;
  const normalise = (m: Float32Array) => {
    const max = Math.max(...m);
    return max > 0 ? m.map((v) => v / max) : m;
  };
  return { logits, gradcam: normalise(resized), gradient, saliency: normalise(gradient.map((g, i) => Math.max(0, g * x[i]!))) };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('explanation graph of a hand-checkable model', () => {
  let model: tfl.LayersModel;
  let x: Float32Array;
  beforeAll(async () => {
    await useCpuBackend();
    model = tinyModel();
    x = tinyImage();
  });

  it('gives the hand-computed logits, Grad-CAM, input gradient and saliency for the top class and for the other class', async () => {
    const graph = buildExplanationGraph(specFromLayersModel(model), { name: 'tiny', choice: { target: 'logit' } });
    expect(graph.maps).toEqual(['gradcam', 'saliency']);
    const session = await openCpuSession(graph.bytes);
    const hand0 = byHand(x, 0);
    const top = hand0.logits[0]! > hand0.logits[1]! ? 0 : 1;
    const other = 1 - top;
    const both = new Float32Array([...x, ...x]);
    const out = await runExplanation(session, both, 2, explainClassTensor([TOP_CLASS, other], 2, 2));
    expect(Array.from(out.explained, Number)).toEqual([top, other]);
    for (const [n, cls] of [
      [0, top],
      [1, other],
    ] as const) {
      const hand = byHand(x, cls);
      const at = (m: Float32Array) => m.subarray(n * 784, (n + 1) * 784);
      expectClose(out.logits.subarray(2 * n, 2 * n + 2), hand.logits);
      expectClose(at(out.gradcam!), hand.gradcam);
      expectClose(at(out.inputGradient), hand.gradient);
      expectClose(at(out.saliency), hand.saliency);
      expect([...at(out.heatmap)]).toEqual([...at(out.saliency)]); // heatmap is the default map
    }
    // The tie in the first window routes to the first block only, and the ReLU-dead quadrant gets no gradient.
    expect(out.inputGradient[2 * 28 + 2]).not.toBe(0);
    expect(out.inputGradient[2 * 28 + 6]).toBe(0);
    expect(out.inputGradient[20 * 28 + 5]).toBe(0);
    await session.release();
  });

  it('matches the tfjs autodiff reference, which matches the hand computation', () => {
    const hand = byHand(x, 1);
    const reference = referenceExplain(model, x, 1, [1], { saliencyForm: 'positive-gradient-x-input', target: 'logit' });
    expectClose(reference.gradcam!, hand.gradcam);
    expectClose(reference.inputGradient, hand.gradient);
    expectClose(reference.saliency, hand.saliency);
  });

  it('explains the log-probability: (onehot − p) / T weights the per-class gradients, for the top class and the other one, calibrated or not', async () => {
    for (const temperature of [1, 1.7]) {
      const graph = buildExplanationGraph(specFromLayersModel(model), { name: 'tiny', choice: { target: 'log-probability' }, temperature });
      expect(graph.target).toBe('log-probability');
      const session = await openCpuSession(graph.bytes);
      const out = await runExplanation(session, new Float32Array([...x, ...x]), 2, explainClassTensor([0, 1], 2, 2));
      const [g0, g1] = [byHand(x, 0), byHand(x, 1)];
      // p = softmax(z / T); d log p_c = Σ_j (δ_cj − p_j) / T · dz_j; with two classes (1 − p_c) / T · (dz_c − dz_other).
      const z = g0.logits.map((v) => v / temperature);
      const p1 = 1 / (1 + Math.exp(z[0]! - z[1]!));
      expectClose(out.probabilities, [1 - p1, p1, 1 - p1, p1]);
      for (const [n, own, rival, pRival] of [
        [0, g0, g1, p1],
        [1, g1, g0, 1 - p1],
      ] as const) {
        const expected = own.gradient.map((g, i) => (pRival / temperature) * (g - rival.gradient[i]!));
        expectClose(out.inputGradient.subarray(n * 784, (n + 1) * 784), expected);
        const reference = referenceExplain(model, x, 1, [n], { saliencyForm: 'positive-gradient-x-input', target: 'log-probability', temperature });
        expectClose(reference.inputGradient, expected);
        expectClose(reference.saliency, out.saliency.subarray(n * 784, (n + 1) * 784));
        expectClose(reference.gradcam!, out.gradcam!.subarray(n * 784, (n + 1) * 784));
      }
      await session.release();
    }
  });

  it('refuses a bad class index with a typed error before the graph runs, and the graph refuses one >= the class count', async () => {
    const refuse = (classes: unknown[], count: number, code: string) => {
      try {
        explainClassTensor(classes, count);
        expect.unreachable(`${JSON.stringify(classes)} was accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(ExplainClassError);
        expect((err as ExplainClassError).code).toBe(code);
        expect((err as Error).message).toMatch(/-1 for the top class|one per image/);
      }
    };
    refuse([10], 1, 'out-of-range');
    refuse([-2], 1, 'out-of-range');
    refuse([1.5], 1, 'not-integer');
    refuse(['3'], 1, 'not-integer');
    refuse([1, 2], 1, 'count-mismatch');
    expect(() => explainClassTensor([1], 1, 1)).toThrow(/use 0\.\.0/);
    expect([...explainClassTensor([TOP_CLASS, 0, 9], 3)]).toEqual([-1n, 0n, 9n]);

    const session = await openCpuSession(buildExplanationGraph(specFromLayersModel(model), { name: 'tiny', choice: { target: 'logit' } }).bytes);
    await expect(runExplanation(session, x, 1, BigInt64Array.from([2n]))).rejects.toThrow(/out of data bounds/);
    await session.release();
  });
});
