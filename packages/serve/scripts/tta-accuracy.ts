/**
 * Test accuracy of an exported model in one pass and with horizontal-flip
 * test-time augmentation (logits of the image and of its mirror averaged):
 * what flip averaging would buy, at twice the inference cost.
 *   node --import tsx packages/serve/scripts/tta-accuracy.ts --model models/cnn.onnx [--data-dir DIR]
 */
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { argmaxRows, bytesToInput, classificationMetrics, IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import { loadSplit, resolveDataDir } from '@fmnist/core/node';

const { values } = parseArgs({ options: { model: { type: 'string' }, 'data-dir': { type: 'string' } } });
if (!values.model) throw new Error('--model FILE.onnx is required');
const split = await loadSplit(resolveDataDir(values['data-dir']), 'test', { verify: false });
const session = await ort.InferenceSession.create(values.model, { executionProviders: ['cpu'] });

/** The test images as model input, each row of each image reversed when `mirror` is set. */
function inputs(mirror: boolean): Float32Array {
  const x = bytesToInput(split.images.subarray(0, split.count * IMAGE_PIXELS));
  if (mirror) for (let row = 0; row < split.count * IMAGE_HEIGHT; row++) x.subarray(row * IMAGE_WIDTH, (row + 1) * IMAGE_WIDTH).reverse();
  return x;
}

async function logits(mirror: boolean): Promise<Float32Array> {
  const x = inputs(mirror);
  const out = new Float32Array(split.count * NUM_CLASSES);
  const batch = 500;
  for (let start = 0; start < split.count; start += batch) {
    const n = Math.min(batch, split.count - start);
    const images = x.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS);
    const result = await session.run({ input: new ort.Tensor('float32', images, [n, 1, IMAGE_HEIGHT, IMAGE_WIDTH]) });
    out.set(result.logits!.data as Float32Array, start * NUM_CLASSES);
  }
  return out;
}

const accuracy = (scores: Float32Array) => `${(100 * classificationMetrics(split.labels, argmaxRows(scores, NUM_CLASSES)).accuracy).toFixed(2)}%`;

const plain = await logits(false);
const mirrored = await logits(true);
console.log(
  `one pass: ${accuracy(plain)}; mirrored images alone: ${accuracy(mirrored)}; flip-averaged logits: ${accuracy(plain.map((v, i) => (v + mirrored[i]!) / 2))}`,
);
await session.release();
