/**
 * Paired comparison of dynamic-batching settings on POST /classify with a
 * 28x28 test-set PNG: the server is started with each setting in turn, round
 * after round, so every round compares settings measured minutes apart, not
 * hours (this machine's speed drifts by tens of percent within an hour).
 * Usage: pnpm --filter @fmnist/serve run bench:batch [--sizes 32,16 --rounds 3 --duration 8 --models DIR]
 * Needs FMNIST_DIR (or data/fashion-mnist) for the test image.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSplit, repoRoot, resolveDataDir } from '@fmnist/core/node';
import { fmt, loadTest, serverArgs, start, stop, testImagePng } from './load-harness.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '32,16' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    models: { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes takes batch sizes like 32,16; got ${values.sizes}`);
const modelsDir = values.models ?? join(repoRoot(), 'models');
const split = await loadSplit(resolveDataDir(undefined), 'test', { verify: false });
const png = await testImagePng(split);

console.log(
  `batch sizes ${sizes.join(' vs ')}, ${values.rounds} rounds of ${values.duration} s at ${values.connections} connections; ${availableParallelism()} cores, node ${process.version}`,
);
const totals = new Map<number, number[]>(sizes.map((n) => [n, []]));
for (let round = 1; round <= Number(values.rounds); round++) {
  const line: string[] = [];
  for (const size of sizes) {
    const server = await start(serverArgs(modelsDir, ['--max-batch', String(size)]));
    const r = await loadTest(`http://127.0.0.1:${server.port}/classify`, png, 'image/png', {
      connections: Number(values.connections),
      seconds: Number(values.duration),
    });
    await stop(server.child);
    totals.get(size)!.push(r.requests.average);
    line.push(`batch ${size}: ${fmt(r)}`);
  }
  console.log(`round ${round}: ${line.join(' | ')}`);
}
for (const [size, rates] of totals) console.log(`batch ${size}: mean ${Math.round(rates.reduce((a, b) => a + b, 0) / rates.length)} req/s`);
