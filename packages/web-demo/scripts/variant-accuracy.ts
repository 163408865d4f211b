import { join } from 'node:path';
import { argmaxRows, bytesToInput, IMAGE_PIXELS, NUM_CLASSES, type Split } from '@fmnist/core';
import { loadModel } from '@fmnist/serve';

export interface VariantAccuracy {
  model: string;
  float32: number;
  int8: number;
  /** int8 minus float32, in percentage points. */
  changePoints: number;
  /** Images on which both give the same top-1. */
  agreement: number;
  count: number;
}

/** Top-1 of every image of the split from one .onnx file, with onnxruntime-node on the CPU. */
async function predictions(file: string, split: Split): Promise<Int32Array> {
  const model = await loadModel(file, { device: 'cpu', log: () => {} });
  try {
    const out = new Int32Array(split.count);
    const batch = 1000;
    for (let start = 0; start < split.count; start += batch) {
      const n = Math.min(batch, split.count - start);
      const input = bytesToInput(split.images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS));
      const { probabilities } = await model.runBulk(input, n);
      out.set(argmaxRows(probabilities, NUM_CLASSES), start);
    }
    return out;
  } finally {
    await model.session.release();
    await model.bulkSession.release();
  }
}

/** Accuracy of `<name>.onnx` and `<name>.int8.onnx` on the whole split, and how often they agree. */
export async function variantAccuracy(modelsDir: string, name: string, split: Split): Promise<VariantAccuracy> {
  const f = await predictions(join(modelsDir, `${name}.onnx`), split);
  const q = await predictions(join(modelsDir, `${name}.int8.onnx`), split);
  let fRight = 0;
  let qRight = 0;
  let agree = 0;
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i]!;
    if (f[i] === label) fRight++;
    if (q[i] === label) qRight++;
    if (f[i] === q[i]) agree++;
  }
  const float32 = (100 * fRight) / split.count;
  const int8 = (100 * qRight) / split.count;
  return { model: name, float32, int8, changePoints: int8 - float32, agreement: agree, count: split.count };
}
