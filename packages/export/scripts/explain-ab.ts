// Two explanation graphs of one model against each other, alternating in one process (a noisy machine slows both
// alike): ms per image at batch 1 and 16, onnxruntime-node on 1 thread, asking for the outputs /classify?explain=1 reads.
//   pnpm --filter @fmnist/export exec tsx scripts/explain-ab.ts OLD.onnx NEW.onnx
// (paths relative to packages/export; export the old graph with the old code into another folder with --out).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
const [oldFile, newFile] = process.argv.slice(2) as [string, string];
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
const sessions = [await ort.InferenceSession.create(readFileSync(oldFile), opts), await ort.InferenceSession.create(readFileSync(newFile), opts)];
const outs = ['logits', 'probabilities', 'explained_class', 'heatmap'];
for (const n of [1, 16]) {
  const input = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 256) / 255),
    [n, 1, 28, 28],
  );
  const cls = new ort.Tensor('int64', new BigInt64Array(n).fill(-1n), [n]);
  const best = [Infinity, Infinity];
  const reps = n === 1 ? 200 : 30;
  for (let round = 0; round < 6; round++)
    for (let s = 0; s < 2; s++) {
      const t = performance.now();
      for (let r = 0; r < reps; r++) await sessions[s]!.run({ input, class: cls }, outs);
      best[s] = Math.min(best[s]!, (performance.now() - t) / reps / n);
    }
  console.log(
    `${newFile.split('/').pop()} batch ${n}: old ${best[0]!.toFixed(3)} ms/image, new ${best[1]!.toFixed(3)} ms/image (${(best[0]! / best[1]!).toFixed(2)}x)`,
  );
}
