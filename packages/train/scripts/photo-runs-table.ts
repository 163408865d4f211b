/**
 * Prints the table of photo fine-tuning runs in docs/photos.md from the runs'
 * metrics.json and history.json kept under docs/runs/<name>/.
 *
 *   pnpm --filter @fmnist/train run photo-runs-table
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, requireRunMetrics, requireRunHistory } from '@fmnist/core/node';
import type { Recipe } from '../src/recipe.ts';
import { selectionScore } from '../src/epoch-record.ts';
import { recipeLine } from '../src/report/run-report.ts';

const root = join(repoRoot(), 'docs', 'runs');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const rows: string[] = [];
for (const name of (await readdir(root)).sort()) {
  // docs/runs also keeps other measurements (explain/): only run directories have a metrics.json.
  if (!existsSync(join(root, name, 'metrics.json'))) continue;
  const m = await requireRunMetrics<Recipe>(join(root, name));
  if (!m.photos) continue;
  const h = await requireRunHistory(join(root, name));
  const best = h.epochs[m.bestEpoch - 1]!;
  const c = m.photos.calibration;
  rows.push(
    `| ${name} | ${recipeLine(m.recipe)} | ${m.bestEpoch} of ${h.epochs.length} | ${pct(best.valAccuracy)} | **${pct(m.photos.validation.acceptTop1)}** | ${pct(m.photos.validation.strictTop1)} | ${pct(selectionScore(best))} | ${c.temperature.toFixed(3)}: ${c.eceBefore.toFixed(3)} -> ${c.eceAfter.toFixed(3)} | ${pct(m.accuracy)} | ${(m.trainSeconds / 60).toFixed(1)} |`,
  );
}
console.log(
  [
    '| run | recipe | best epoch | Fashion-MNIST validation | photo validation accept-top1 | strict top-1 | selection score | temperature: ECE before -> after | Fashion-MNIST test (reported, never chosen on) | training minutes |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
