/**
 * How many of the sample photos a model gets right after preprocessing
 * (a class in the photo's `accept` list counts). For tuning preprocessing:
 *   node --import tsx packages/serve/scripts/photo-accuracy.ts --model models/cnn.onnx [--photos DIR] [--working 128] [--no-segment] [--sharpen 0.5]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSamplePhotoDir } from '@fmnist/core/node';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { bytesToInput, CLASS_NAMES, preprocessImage } from '@fmnist/core';
import { decodeImage } from '../src/decode.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    photos: { type: 'string', default: resolveSamplePhotoDir() },
    working: { type: 'string', default: '128' },
    'no-segment': { type: 'boolean' },
    sharpen: { type: 'string' },
    quiet: { type: 'boolean' },
  },
});
if (!values.model) throw new Error('--model FILE.onnx is required');
const labels = JSON.parse(await readFile(join(values.photos, 'labels.json'), 'utf8')) as { file: string; accept: number[] }[];
const session = await ort.InferenceSession.create(values.model, { executionProviders: ['cpu'] });
const working = Number(values.working);
let right = 0;
for (const { file, accept } of labels) {
  const raw = await decodeImage(await readFile(join(values.photos, file)));
  const { pixels } = preprocessImage(raw, {
    workingSize: working,
    segment: !values['no-segment'],
    ...(values.sharpen ? { sharpen: Number(values.sharpen) } : {}),
  });
  const out = await session.run({ input: new ort.Tensor('float32', bytesToInput(pixels), [1, 1, 28, 28]) });
  const probs = out.probabilities!.data as Float32Array;
  const best = probs.indexOf(Math.max(...probs));
  const ok = accept.includes(best);
  if (ok) right++;
  if (!values.quiet) console.log(`${ok ? 'ok ' : 'BAD'} ${file.padEnd(18)} -> ${CLASS_NAMES[best]} (${(probs[best]! * 100).toFixed(0)}%)`);
}
console.log(`${right}/${labels.length} right (${((right / labels.length) * 100).toFixed(1)}%)`);
await session.release();
