// Two explanation graphs of one model against each other, alternating in one process (a noisy machine slows both
// alike): ms per image at each batch size, onnxruntime-node on 1 thread, asking for the outputs /classify?explain=1 reads.
//   pnpm --filter @fmnist/export exec tsx scripts/explain-ab.ts OLD.onnx NEW.onnx [--batches 1,16] [--served] [--profile N]
// (paths relative to packages/export; export the old graph with the old code into another folder with --out).
// --served: both graphs cut to those outputs first, as the server runs them (core's pruneToOutputs).
// --profile N: also onnxruntime's own profile of each graph at batch N: microseconds per run by op type and the
// costliest nodes of its optimized graph (where NCHWc reorders and fused kernels show up).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { pruneToOutputs } from '@fmnist/core';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { batches: { type: 'string', default: '1,16' }, served: { type: 'boolean', default: false }, profile: { type: 'string' } },
});
const files = positionals as [string, string];
if (files.length !== 2) throw new Error('usage: explain-ab.ts OLD.onnx NEW.onnx [--batches 1,16] [--served] [--profile N]');
const outs = ['logits', 'probabilities', 'explained_class', 'heatmap'];
const graphs = files.map((f) => {
  const bytes = new Uint8Array(readFileSync(f));
  return values.served ? pruneToOutputs(bytes, outs).bytes : bytes;
});
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
const sessions = await Promise.all(graphs.map((g) => ort.InferenceSession.create(g, opts)));
const feeds = (n: number) => ({
  input: new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 256) / 255),
    [n, 1, 28, 28],
  ),
  class: new ort.Tensor('int64', new BigInt64Array(n).fill(-1n), [n]),
});
for (const n of values.batches.split(',').map(Number)) {
  const input = feeds(n);
  const best = [Infinity, Infinity];
  const reps = Math.max(10, Math.ceil(200 / n));
  for (let round = 0; round < 6; round++)
    for (let s = 0; s < 2; s++) {
      const t = performance.now();
      for (let r = 0; r < reps; r++) await sessions[s]!.run(input, outs);
      best[s] = Math.min(best[s]!, (performance.now() - t) / reps / n);
    }
  console.log(
    `${files[1].split('/').pop()} batch ${n}: old ${best[0]!.toFixed(3)} ms/image, new ${best[1]!.toFixed(3)} ms/image (${(best[0]! / best[1]!).toFixed(2)}x)`,
  );
}
if (values.profile) {
  const n = Number(values.profile);
  for (const [i, graph] of graphs.entries()) console.log(`\n${files[i]} at batch ${n}:\n${await profile(graph, n)}`);
}

/** onnxruntime's per-node kernel times over 200 runs: per run, by op type and the ten costliest nodes. */
async function profile(graph: Uint8Array, n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'explain-profile-'));
  try {
    const session = await ort.InferenceSession.create(graph, { ...opts, enableProfiling: true, profileFilePrefix: join(dir, 'p') });
    const input = feeds(n);
    const runs = 200;
    for (let r = 0; r < runs; r++) await session.run(input, outs);
    session.endProfiling();
    await session.release();
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) return '(onnxruntime wrote no profile)';
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
    const byNode = new Map<string, { op: string; us: number }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const node = e.name.slice(0, -'_kernel_time'.length);
      const entry = byNode.get(node) ?? { op: e.args?.op_name ?? '?', us: 0 };
      entry.us += e.dur / runs;
      byNode.set(node, entry);
    }
    const byOp = new Map<string, number>();
    for (const { op, us } of byNode.values()) byOp.set(op, (byOp.get(op) ?? 0) + us);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const line = (label: string, us: number) => `  ${us.toFixed(0).padStart(6)} us ${((100 * us) / total).toFixed(1).padStart(5)}%  ${label}`;
    return [
      `total ${total.toFixed(0)} us per run (${(total / n).toFixed(0)} us per image); by op type:`,
      ...[...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => line(op, us)),
      'costliest nodes:',
      ...[...byNode]
        .sort((a, b) => b[1].us - a[1].us)
        .slice(0, 10)
        .map(([node, { op, us }]) => line(`${op} ${node}`, us)),
    ].join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
