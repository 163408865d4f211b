// Two explanation graphs of one model on the Fashion-MNIST test images: the largest difference of every output,
// for a change to the backward pass that must not change the maps (0 means bit-identical).
//   FMNIST_DIR=../shared/fashion-mnist pnpm --filter @fmnist/export exec tsx scripts/explain-compare.ts OLD.onnx NEW.onnx [--images 10000] [--batch 80] [--classes top|parity]
// --classes parity: each image's class as the parity run picks it (parityClass: every index and the top class), not only the top class.
// (paths relative to packages/export; export the old graphs with the old code into another folder with --out,
// or take them from git: `git show REV:models/explain/cnn.onnx > /tmp/old/cnn.onnx`). Timing: scripts/explain-ab.ts.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { bytesToInput, EXPLAIN_INPUTS, IMAGE_PIXELS, onnxInputDims, TOP_CLASS } from '@fmnist/core';
import { loadSplit, resolveDataDir } from '@fmnist/core/node';
import { parityClass } from '../src/explain/parity.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { images: { type: 'string', default: '10000' }, batch: { type: 'string', default: '80' }, classes: { type: 'string', default: 'top' } },
});
const [oldFile, newFile] = positionals;
if (!oldFile || !newFile || !['top', 'parity'].includes(values.classes))
  throw new Error('usage: explain-compare.ts OLD.onnx NEW.onnx [--images N] [--batch N] [--classes top|parity]');
const classOf = (i: number) => BigInt(values.classes === 'parity' ? parityClass(i) : TOP_CLASS);
const split = await loadSplit(resolveDataDir(undefined), 'test', { verify: false });
const images = Math.min(Number(values.images), split.count);
const batch = Number(values.batch);
const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
const [a, b] = [await ort.InferenceSession.create(readFileSync(oldFile), opts), await ort.InferenceSession.create(readFileSync(newFile), opts)];
if (a.outputNames.join() !== b.outputNames.join()) throw new Error(`the graphs' outputs differ: ${a.outputNames} against ${b.outputNames}`);
const largest = new Map<string, number>(a.outputNames.map((name) => [name, 0]));
for (let from = 0; from < images; from += batch) {
  const n = Math.min(batch, images - from);
  const x = bytesToInput(split.images.subarray(from * IMAGE_PIXELS, (from + n) * IMAGE_PIXELS));
  const feeds = {
    [EXPLAIN_INPUTS.image]: new ort.Tensor('float32', x, onnxInputDims(n)),
    [EXPLAIN_INPUTS.class]: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, k) => classOf(from + k)),
      [n],
    ),
  };
  const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
  for (const name of a.outputNames) {
    const [u, v] = [ra[name]!.data, rb[name]!.data] as [ArrayLike<number | bigint>, ArrayLike<number | bigint>];
    let worst = largest.get(name)!;
    for (let i = 0; i < u.length; i++) {
      const d = Math.abs(Number(u[i]) - Number(v[i]));
      worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
    }
    largest.set(name, worst);
  }
}
console.log(
  `${newFile.split('/').pop()} on ${images} test images (${values.classes === 'parity' ? "the parity run's classes" : 'top class'}), max |old - new|: ${[...largest].map(([k, v]) => `${k} ${v}`).join(', ')}`,
);
