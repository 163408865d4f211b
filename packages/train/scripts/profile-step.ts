/**
 * Where a ResNet training step's time goes on wasm: the kernels of one
 * forward + backward pass of a 64-image shard (one of two workers' halves of
 * a 128 batch), summed by kernel and input shapes, largest first.
 * `npx tsx scripts/profile-step.ts [--depth N] [--width N] [--batch N]`
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.ts';
import { defaultRecipe } from '../src/recipe.ts';
import { buildRecipeModel } from '../src/model/recipe-model.ts';
import { Replica } from '../src/parallel/replica.ts';

const { values } = parseArgs({
  options: { depth: { type: 'string', default: '20' }, width: { type: 'string', default: '16' }, batch: { type: 'string', default: '64' } },
});
await selectBackend('wasm');
const recipe = { ...defaultRecipe('resnet'), depth: Number(values.depth), width: Number(values.width) };
const replica = new Replica(buildRecipeModel(recipe), recipe);
const n = Number(values.batch);
const x = new Float32Array(n * 784).map(() => Math.random());
const accept = Uint16Array.from({ length: n }, (_, i) => 1 << (i % 10));
const gradient = new Float32Array(replica.gradientLength);
replica.gradients(x, accept, gradient);
const t0 = performance.now();
replica.gradients(x, accept, gradient);
const stepMs = performance.now() - t0;
const info = await tf.profile(() => {
  replica.gradients(x, accept, gradient);
});
// Kernels called inside other kernels (fused ops and their op wrappers) would count twice: keep registered kernel names only.
const by = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
  const key = `${k.name} ${JSON.stringify(k.inputShapes?.slice(0, 2))}`;
  const e = by.get(key) ?? { ms: 0, calls: 0 };
  e.ms += Number(k.kernelTimeMs);
  e.calls++;
  by.set(key, e);
}
const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
console.log(`gradient pass of ${n} images: ${stepMs.toFixed(0)} ms (unprofiled); kernels ${total.toFixed(0)} ms profiled`);
const byName = new Map<string, number>();
for (const [key, e] of by) byName.set(key.split(' ')[0]!, (byName.get(key.split(' ')[0]!) ?? 0) + e.ms);
for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 10))
  console.log(`${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
