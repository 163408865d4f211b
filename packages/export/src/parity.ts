import { argmaxRows, bytesToInput, IMAGE_PIXELS, runClassifier, type SessionRunner } from '@fmnist/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { nhwcToNchw } from './layout.ts';
import { predictFlat } from './tfjs.ts';

/** Test images as Fashion-MNIST bytes (count x 784, row-major) with their labels. */
export interface ImageSet {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export interface ParityStats {
  count: number;
  maxAbs: number;
  meanAbs: number;
  /** Images where both runtimes pick the same class. */
  agreement: number;
  tfjsAccuracy: number;
  onnxAccuracy: number;
}

/** Images per inference call: 500 keeps the tfjs CPU backend's intermediate tensors small. */
const DEFAULT_BATCH = 500;

function* batches(set: ImageSet, batchSize: number): Generator<{ start: number; n: number; input: Float32Array }> {
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    yield { start, n, input: bytesToInput(set.images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS)) };
  }
}

/** tfjs outputs for every image (the model's [28, 28, 1] input layout). */
export async function tfjsOutputs(model: LayersModel, set: ImageSet, batchSize = DEFAULT_BATCH): Promise<Float32Array> {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  let out: Float32Array | undefined;
  for (const { start, n, input } of batches(set, batchSize)) {
    const y = predictFlat(model, input, [n, ...shape]);
    out ??= new Float32Array((y.length / n) * set.count);
    out.set(y, (y.length / n) * start);
    // The pure-JS reference runs for minutes (25 for the ResNet): yielding between batches keeps the
    // process answering, e.g. vitest's worker RPC, which times out after a minute of blocked event loop.
    await new Promise((r) => setImmediate(r));
  }
  return out ?? new Float32Array();
}

/**
 * onnxruntime outputs for every image; `inputDims` is the graph's input shape
 * with the batch first ([N, C, H, W] or [N, F]). `output` picks logits or,
 * for a source model that ends in softmax, probabilities.
 */
export async function onnxOutputs(
  session: SessionRunner,
  inputDims: (number | string)[],
  set: ImageSet,
  output: 'logits' | 'probabilities' = 'logits',
  batchSize = DEFAULT_BATCH,
): Promise<Float32Array> {
  const rest = inputDims.slice(1) as number[];
  let out: Float32Array | undefined;
  for (const { start, n, input } of batches(set, batchSize)) {
    const onnxInput = rest.length === 3 ? nhwcToNchw(input, [n, rest[1]!, rest[2]!, rest[0]!]) : input;
    const y = (await runClassifier(session, onnxInput, [n, ...rest]))[output];
    out ??= new Float32Array((y.length / n) * set.count);
    out.set(y, (y.length / n) * start);
  }
  return out ?? new Float32Array();
}

/** Compares two [count, classes] output buffers against each other and the labels. */
export function compareOutputs(tfjs: Float32Array, onnx: Float32Array, labels: ArrayLike<number>): ParityStats {
  const count = labels.length;
  if (tfjs.length !== onnx.length || tfjs.length % count !== 0)
    throw new RangeError(`tfjs gave ${tfjs.length} values, onnx ${onnx.length}, for ${count} labels`);
  const classes = tfjs.length / count;
  let maxAbs = 0;
  let sumAbs = 0;
  for (let i = 0; i < tfjs.length; i++) {
    const d = Math.abs(tfjs[i]! - onnx[i]!);
    if (!(d <= maxAbs)) maxAbs = d; // NaN propagates into maxAbs instead of hiding.
    sumAbs += d;
  }
  const a = argmaxRows(tfjs, classes);
  const b = argmaxRows(onnx, classes);
  let agreement = 0;
  let tfjsCorrect = 0;
  let onnxCorrect = 0;
  for (let r = 0; r < count; r++) {
    if (a[r] === b[r]) agreement++;
    if (a[r] === labels[r]) tfjsCorrect++;
    if (b[r] === labels[r]) onnxCorrect++;
  }
  return { count, maxAbs, meanAbs: sumAbs / tfjs.length, agreement, tfjsAccuracy: tfjsCorrect / count, onnxAccuracy: onnxCorrect / count };
}

export interface ParityRow extends ParityStats {
  model: string;
  /** The ONNX file compared, or a note that it was converted in memory. */
  onnx: string;
}

/** The parity table as GitHub markdown. */
export function parityMarkdown(rows: readonly ParityRow[]): string {
  const lines = [
    '| model | ONNX | images | max abs Δlogit | mean abs Δlogit | top-1 agreement | tfjs accuracy | ONNX accuracy |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.onnx} | ${r.count} | ${r.maxAbs.toExponential(2)} | ${r.meanAbs.toExponential(2)} | ${r.agreement} / ${r.count} | ${(100 * r.tfjsAccuracy).toFixed(2)}% | ${(100 * r.onnxAccuracy).toFixed(2)}% |`,
    ),
  ];
  return lines.join('\n');
}
