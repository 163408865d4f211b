// Faithfulness of the explanations (the deletion test) and their cost in onnxruntime-node.
//   tsx packages/export/scripts/bench-explain.ts [--model mlp|cnn]... [--images 1000] [--seed 1] [--data-dir DIR] [--write]
// For each shipped model: explain the top class of the first --images test images with
// models/explain/<name>.onnx, then remove (set to 0) the pixels each map ranks highest and
// as many random garment (non-zero) pixels, and feed the result to models/<name>.onnx.
// --write writes docs/explanations.md and docs/explanations-deletion.svg.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToInput, createRng, IMAGE_PIXELS } from '@fmnist/core';
import { loadSplit, repoRoot, resolveDataDir } from '@fmnist/core/node';
import * as ort from 'onnxruntime-node';
import { DEFAULT_HEATMAP, SALIENCY_FORM, SALIENCY_FORMS, TOP_CLASS, type SaliencyForm } from '../src/explain/contract.ts';
import { deletionCurve, randomGarmentOrder, rankPixels } from '../src/explain/deletion.ts';
import { deletionChartSpec, deletionMarkdown, deletionRows, renderSvg, type RankedCurve } from '../src/explain/deletion-report.ts';
import { runExplanation, type ExplainOutputs } from '../src/explain/run.ts';
import { explainOnnxPath, SHIPPED_MODELS, shippedOnnxPath } from '../src/locations.ts';
import { createSession, runSession } from '../src/ort.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: { model: { type: 'string', multiple: true }, images: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, write: { type: 'boolean' } },
});
const cwd = process.env.INIT_CWD ?? process.cwd();
const count = Number(values.images ?? 1000);
const seed = Number(values.seed ?? 1);
/** The issue's 10%: 78 of 784 pixels. */
const TOP_K = Math.round(0.1 * IMAGE_PIXELS);
const REMOVED = Array.from({ length: 11 }, (_, i) => Math.round((i * 0.05) * IMAGE_PIXELS));
const LOCK = '/tmp/fmnist-training.lock';

const envDir = process.env.FMNIST_DIR;
const dataDir = resolveDataDir(values['data-dir'] && resolve(cwd, values['data-dir']), { FMNIST_DIR: envDir && resolve(cwd, envDir) });
const test = await loadSplit(dataDir, 'test');
const images = test.images.subarray(0, count * IMAGE_PIXELS);
const models = values.model ?? SHIPPED_MODELS.filter((m) => existsSync(explainOnnxPath(m)));

const curves: RankedCurve[] = [];
const timings: string[] = [];
for (const name of models) {
  const classifier = await createSession(new Uint8Array(await readFile(shippedOnnxPath(name))));
  const explainer = await createSession(new Uint8Array(await readFile(explainOnnxPath(name))));
  const outputs = await explainAll(explainer);
  const classes = Array.from(outputs.explained, Number);
  const rng = createRng(seed);
  const rankings = new Map<string, Int32Array[]>();
  const add = (key: string, order: Int32Array) => rankings.set(key, [...(rankings.get(key) ?? []), order]);
  for (let i = 0; i < count; i++) {
    const pixels = bytesToInput(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS));
    const gradient = outputs.inputGradient.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
    if (outputs.gradcam) add('gradcam', rankPixels(outputs.gradcam.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)));
    for (const form of SALIENCY_FORMS) add(`saliency: ${form}`, rankPixels(saliencyScores(form, gradient, pixels)));
    add('random', randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
  }
  const defaultKey = DEFAULT_HEATMAP === 'gradcam' ? 'gradcam' : `saliency: ${SALIENCY_FORM}`;
  for (const [ranking, orders] of rankings) {
    curves.push({ model: name, ranking, isDefault: ranking === defaultKey, curve: await deletionCurve(classifier, images, classes, orders, REMOVED) });
  }
  timings.push(await timePerImage(name, classifier, explainer));
  await classifier.release();
  await explainer.release();
}

async function explainAll(session: ort.InferenceSession): Promise<ExplainOutputs> {
  const parts: ExplainOutputs[] = [];
  for (let start = 0; start < count; start += 250) {
    const n = Math.min(250, count - start);
    parts.push(await runExplanation(session, bytesToInput(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS)), n, new BigInt64Array(n).fill(BigInt(TOP_CLASS))));
  }
  const join32 = (pick: (o: ExplainOutputs) => Float32Array | undefined) => (parts.every((p) => pick(p)) ? Float32Array.from(parts.flatMap((p) => [...pick(p)!])) : undefined);
  return {
    logits: join32((o) => o.logits)!, probabilities: join32((o) => o.probabilities)!, heatmap: join32((o) => o.heatmap)!, saliency: join32((o) => o.saliency)!, inputGradient: join32((o) => o.inputGradient)!,
    explained: BigInt64Array.from(parts.flatMap((p) => [...p.explained])),
    ...(parts[0]!.gradcam ? { gradcam: join32((o) => o.gradcam)! } : {}),
  };
}

function saliencyScores(form: SaliencyForm, gradient: Float32Array, pixels: Float32Array): Float32Array {
  if (form === 'abs-gradient') return gradient.map(Math.abs);
  return gradient.map((g, j) => (form === 'abs-gradient-x-input' ? Math.abs(g * pixels[j]!) : Math.max(0, g * pixels[j]!)));
}

/**
 * Wall time per image, classifier against explanation graph, in one run
 * (rounds alternate so drift hits both): batches of 1 and of 64. Skipped
 * while a training holds the CPU (the guide's lock file).
 */
async function timePerImage(name: string, classifier: ort.InferenceSession, explainer: ort.InferenceSession): Promise<string> {
  if (existsSync(LOCK)) return `${name}: timing skipped, ${LOCK} exists (a training is running); re-run when it is gone`;
  const result: string[] = [];
  for (const batch of [1, 64]) {
    const input = bytesToInput(images.subarray(0, batch * IMAGE_PIXELS));
    const classes = new BigInt64Array(batch).fill(BigInt(TOP_CLASS));
    const runs = batch === 1 ? 300 : 20;
    const times = { classifier: [] as number[], explain: [] as number[] };
    for (let round = 0; round < 5; round++) {
      let t = performance.now();
      for (let r = 0; r < runs; r++) await runSession(classifier, input, [batch, 1, 28, 28]);
      times.classifier.push((performance.now() - t) / (runs * batch));
      t = performance.now();
      for (let r = 0; r < runs; r++) await runExplanation(explainer, input, batch, classes);
      times.explain.push((performance.now() - t) / (runs * batch));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const c = median(times.classifier);
    const e = median(times.explain);
    result.push(`batch ${batch}: classifier ${c.toFixed(3)} ms/image, explanation ${e.toFixed(3)} ms/image (${(e / c).toFixed(1)}x)`);
  }
  return `${name}: ${result.join('; ')}`;
}

const table = deletionMarkdown(curves, TOP_K);
console.log(table);
console.log(timings.join('\n'));
const failing = deletionRows(curves, TOP_K).filter((r) => r.isDefault && r.ratio < 3);
for (const r of failing) console.log(`${r.model}: the default heatmap's ratio is ${r.ratio.toFixed(2)}x, below the 3x target`);

if (values.write) {
  const svg = await renderSvg(deletionChartSpec(curves, `Deletion test: ${count.toLocaleString('en-US')} test images, top class explained`));
  await writeFile(join(repoRoot(), 'docs', 'explanations-deletion.svg'), svg);
  const curveTable = [
    `| model | ranking | ${REMOVED.map((k) => `${Math.round((100 * k) / IMAGE_PIXELS)}%`).join(' | ')} |`,
    `|---|---|${REMOVED.map(() => '---:').join('|')}|`,
    ...curves.map((c) => `| ${c.model} | ${c.ranking} | ${c.curve.meanProbability.map((p) => p.toFixed(3)).join(' | ')} |`),
  ].join('\n');
  const doc = `# Explanations: faithfulness (deletion test)

The deletion test of issue 13: for the first ${count.toLocaleString('en-US')} Fashion-MNIST test images, explain the
top class with \`models/explain/<name>.onnx\`, set to 0 (the background) the ${TOP_K} pixels (10%) a
map ranks highest, and compare the explained class's probability (from \`models/<name>.onnx\`)
with setting to 0 ${TOP_K} pixels drawn at random among the image's non-zero (garment) pixels
(seeded: core's \`createRng(${seed})\`). Ties in a map keep pixel order. Target: the default
heatmap's mean drop at least 3x the random one.

${table}

**Default heatmap: \`saliency\` = ${SALIENCY_FORM} (max(d logit / d pixel · pixel, 0), normalised) for both models.**
It ranks first the garment pixels whose first-order contribution to the class logit is largest,
which is what removing them takes away. ${failing.length ? `Target missed on ${failing.map((r) => `${r.model} (${r.ratio.toFixed(2)}x)`).join(', ')}: this CNN loses much of its confidence when any ${TOP_K} garment pixels are punched out at random, so no map of the issue's family (Grad-CAM, |gradient|, gradient x input) reaches 3x on it; Grad-CAM, a 14x14 map upsampled, ranks whole regions, background included, and removes less than random pixels do.` : 'Both meet the 3x target.'}

Mean probability of the explained class against the share of pixels removed (0-50%); the area
between curves is ∫ (random − map) over the removed share, trapezoids at 5% steps:

![deletion curves](explanations-deletion.svg)

${curveTable}

onnxruntime-node per image, classifier vs explanation graph (CPU, all graph optimizations, same run):

${timings.map((t) => `- ${t}`).join('\n')}

Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores.
Generated by \`FMNIST_DIR=../shared/fashion-mnist pnpm bench:explain --write\` on ${new Date().toISOString().slice(0, 10)}.
Parity of the maps with tfjs autodiff: [explain-parity.md](explain-parity.md).
`;
  await writeFile(join(repoRoot(), 'docs', 'explanations.md'), doc);
  console.error('wrote docs/explanations.md and docs/explanations-deletion.svg');
}
