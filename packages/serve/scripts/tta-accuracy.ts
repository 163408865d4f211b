/**
 * Test accuracy of an exported model in one pass and with horizontal-flip
 * test-time augmentation (logits of the image and of its mirror averaged):
 * what flip averaging would buy, at twice the inference cost.
 *   node --import tsx packages/serve/scripts/tta-accuracy.ts --model models/cnn.onnx [--data-dir DIR]
 */
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import { loadSplit, resolveDataDir } from '@fmnist/core/node';

const { values } = parseArgs({ options: { model: { type: 'string' }, 'data-dir': { type: 'string' } } });
if (!values.model) throw new Error('--model FILE.onnx is required');
const split = await loadSplit(resolveDataDir(values['data-dir']), 'test', { verify: false });
const session = await ort.InferenceSession.create(values.model, { executionProviders: ['cpu'] });

async function logits(mirror: boolean): Promise<Float32Array> {
  const out = new Float32Array(split.count * NUM_CLASSES);
  const batch = 500;
  for (let start = 0; start < split.count; start += batch) {
    const n = Math.min(batch, split.count - start);
    const x = new Float32Array(n * IMAGE_PIXELS);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < IMAGE_HEIGHT; y++)
        for (let c = 0; c < IMAGE_WIDTH; c++) {
          const source = (start + i) * IMAGE_PIXELS + y * IMAGE_WIDTH + (mirror ? IMAGE_WIDTH - 1 - c : c);
          x[i * IMAGE_PIXELS + y * IMAGE_WIDTH + c] = split.images[source]! / 255;
        }
    const result = await session.run({ input: new ort.Tensor('float32', x, [n, 1, IMAGE_HEIGHT, IMAGE_WIDTH]) });
    out.set(result.logits!.data as Float32Array, start * NUM_CLASSES);
  }
  return out;
}

function accuracy(scores: Float32Array): string {
  let right = 0;
  for (let i = 0; i < split.count; i++) {
    const row = scores.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    if (row.indexOf(Math.max(...row)) === split.labels[i]) right++;
  }
  return `${((right / split.count) * 100).toFixed(2)}%`;
}

const plain = await logits(false);
const mirrored = await logits(true);
console.log(`one pass: ${accuracy(plain)}; mirrored images alone: ${accuracy(mirrored)}; flip-averaged logits: ${accuracy(plain.map((v, i) => (v + mirrored[i]!) / 2))}`);
await session.release();
