// The deletion test of candidate runs, on their validation images only: what a run would score
// if it were shipped as --as (its default heatmap), beside its validation accuracy. For choosing
// a run on validation data (the test slice belongs to bench:explain, once a run is shipped).
//   tsx packages/export/scripts/deletion-runs.ts --run DIR [--run DIR]... [--as cnn] [--images 1000]
//       [--seed 1] [--data-dir DIR] [--write]
// --write adds each run's row to docs/runs/explain/deletion-runs.json (by run directory name).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToInput, createRng, IMAGE_PIXELS, type RunRecipe } from '@fmnist/core';
import { loadSplit, readRunMetrics, repoRoot, resolveDataDir, userPath } from '@fmnist/core/node';
import { explanationChoiceFor, TOP_CLASS } from '../src/explain/contract.ts';
import { DELETION_TOP_K, deletionCurve, randomGarmentOrder, rankPixels, saliencyScores } from '../src/explain/deletion.ts';
import type { CandidateRow } from '../src/explain/deletion-report.ts';
import { runExplanation } from '../src/explain/run.ts';
import { heldOutImages } from '../src/explain/validation.ts';
import { openCpuSession } from '../src/ort.ts';
import { exportRunDir } from '../src/pipeline.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    run: { type: 'string', multiple: true },
    as: { type: 'string' },
    images: { type: 'string' },
    seed: { type: 'string' },
    'data-dir': { type: 'string' },
    write: { type: 'boolean' },
  },
});
if (!values.run?.length) throw new Error('--run DIR is required (a run directory: model.json, weights.bin, metrics.json)');
const count = Number(values.images ?? 1000);
const seed = Number(values.seed ?? 1);
const as = values.as ?? 'cnn';
const OUT = join(repoRoot(), 'docs', 'runs', 'explain', 'deletion-runs.json');

/** What this script reads of train's recipe (metrics.json). */
interface CandidateRecipe extends RunRecipe {
  seed: number;
  learningRate: number;
  epochs: number;
  initFrom?: string;
  shuffleSeed?: number;
  augment: { pixelDrop?: number; pixelDropProbability?: number } | null;
  /** A model soup's ingredients (train's scripts/soup.ts). */
  soup?: { run: string; weight: number }[];
  distill?: { from: string; weight: number; temperature: number };
}

const train = await loadSplit(resolveDataDir(values['data-dir']), 'train');
const rows: CandidateRow[] = [];
for (const given of values.run) {
  const dir = userPath(given);
  const metrics = await readRunMetrics<CandidateRecipe>(dir);
  if (!metrics) throw new Error(`${dir}: no metrics.json (the run's recipe names its validation split)`);
  const images = heldOutImages(train, metrics.recipe, count).images;
  const choice = explanationChoiceFor(as);
  if (choice.heatmap !== 'saliency') throw new Error(`--as ${as}: its default map is ${choice.heatmap}; this script scores saliency maps`);
  const exported = await exportRunDir(dir, as, { explain: true });
  exported.model.dispose();
  const classifier = await openCpuSession(exported.bytes);
  const explainer = await openCpuSession(exported.explain!.bytes);
  const classes: number[] = [];
  const mapOrder: Int32Array[] = [];
  for (let start = 0; start < count; start += 250) {
    const n = Math.min(250, count - start);
    const x = bytesToInput(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS));
    const out = await runExplanation(explainer, x, n, new BigInt64Array(n).fill(BigInt(TOP_CLASS)));
    for (let i = 0; i < n; i++) {
      classes.push(Number(out.explained[i]));
      const at = (a: Float32Array) => a.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
      mapOrder.push(rankPixels(saliencyScores(choice.saliencyForm, at(out.inputGradient), at(x))));
    }
  }
  const rng = createRng(seed);
  const randomOrder = Array.from({ length: count }, (_, i) => randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
  const byMap = await deletionCurve(classifier, images, classes, mapOrder, [0, DELETION_TOP_K]);
  const byRandom = await deletionCurve(classifier, images, classes, randomOrder, [0, DELETION_TOP_K]);
  await classifier.release();
  await explainer.release();
  const intact = byMap.meanProbability[0]!;
  const mapDrop = intact - byMap.meanProbability[1]!;
  const randomDrop = intact - byRandom.meanProbability[1]!;
  rows.push({
    run: basename(dir),
    as,
    map: `${choice.target}: ${choice.saliencyForm}`,
    images: count,
    seed,
    recipe: recipeSummary(metrics.recipe),
    validationAccuracy: metrics.validationAccuracy,
    intact,
    mapDrop,
    randomDrop,
    ratio: mapDrop / randomDrop,
  });
}

/** The flags a reader needs to tell the runs apart. */
function recipeSummary(rec: CandidateRecipe): string {
  if (rec.soup) {
    const total = rec.soup.reduce((a, i) => a + i.weight, 0);
    return `model soup of ${rec.soup.map((i) => `${i.run} × ${i.weight}/${total}`).join(', ')}`;
  }
  const drop = rec.augment?.pixelDrop
    ? `--pixel-drop ${rec.augment.pixelDrop}${rec.augment.pixelDropProbability !== undefined ? ` --pixel-drop-p ${rec.augment.pixelDropProbability}` : ''}`
    : 'no pixel dropout';
  const seed = rec.shuffleSeed !== undefined ? ` --shuffle-seed ${rec.shuffleSeed}` : '';
  const distill = rec.distill
    ? ` --distill-from ${rec.distill.from} --distill-weight ${rec.distill.weight} --distill-temperature ${rec.distill.temperature}`
    : '';
  return `${drop}, --lr ${rec.learningRate} --epochs ${rec.epochs}${seed}${distill}${rec.initFrom ? ` from ${rec.initFrom}` : ' from scratch'}`;
}

console.log(`| run | validation accuracy | p(class) intact | drop, top ${DELETION_TOP_K} of the map | drop, ${DELETION_TOP_K} random garment pixels | ratio |`);
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.run} (${r.recipe}) | ${(r.validationAccuracy * 100).toFixed(2)}% | ${r.intact.toFixed(3)} | ${r.mapDrop.toFixed(3)} | ${r.randomDrop.toFixed(3)} | ${r.ratio.toFixed(2)}x |`,
  );
if (values.write) {
  const saved: CandidateRow[] = existsSync(OUT) ? JSON.parse(await readFile(OUT, 'utf8')) : [];
  const merged = [...saved.filter((s) => !rows.some((r) => r.run === s.run)), ...rows];
  await mkdir(join(OUT, '..'), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(merged, null, 1)}\n`);
  console.error(`wrote ${OUT}`);
}
