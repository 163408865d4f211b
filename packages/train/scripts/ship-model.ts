/**
 * Copies a finished run into models/<kind>/ as the shipped default, with the
 * default-recipe run's figures kept beside it (models/<kind>/default-recipe/)
 * and, for a fine-tuned run, the figures of the run it started from
 * (models/<kind>/base-run/).
 * `pnpm --filter @fmnist/train run ship --model cnn --run runs/cnn-best --default runs/cnn-default [--base runs/cnn-first] [--name cnn-photo]`
 * (`--name`: the shipped name, models/<name>/, when it is not the architecture's: the photo-tuned CNN;
 * `--keep-base-weights`: the starting run's weights ship too, where other shipped figures were measured
 * on them: the photo-tuned CNN and its cross-validation start from the CNN shipped before the soup).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, userPath, requireRunMetrics } from '@fmnist/core/node';
import type { Recipe } from '../src/recipe.ts';
import { defaultRecipe } from '../src/recipe.ts';
import { metricsSection, recipeLine } from '../src/report/run-report.ts';
import { RUN_FILES } from '@fmnist/core';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    run: { type: 'string' },
    default: { type: 'string' },
    base: { type: 'string' },
    name: { type: 'string' },
    'keep-base-weights': { type: 'boolean' },
  },
});
if (!values.model || !values.run) throw new Error('usage: ship --model mlp|cnn --run RUN_DIR [--default DEFAULT_RUN_DIR] [--base STARTING_RUN_DIR]');
const run = userPath(values.run);
const target = join(repoRoot(), 'models', values.name ?? values.model);

const shipped = await requireRunMetrics<Recipe>(run);
if (shipped.model !== values.model) throw new Error(`${run} holds a ${shipped.model} run, not ${values.model}`);
if (shipped.count !== 10_000) throw new Error(`${run} was evaluated on ${shipped.count} test images; ship only full runs`);
if (shipped.recipe.initFrom && !values.base)
  throw new Error(`${run} was fine-tuned from ${shipped.recipe.initFrom}: pass that run's directory as --base, so its figures ship too`);
// Comparison runs are read after models/<kind> is cleared: they must live elsewhere (runs/).
const inside = (dir: string) => !relative(target, userPath(dir)).startsWith('..');
for (const dir of [values.base, values.default])
  if (dir && inside(dir)) throw new Error(`${dir} is inside ${target}, which shipping replaces; pass the run under runs/`);
await rm(target, { recursive: true, force: true });
await mkdir(target, { recursive: true });
for (const f of [
  RUN_FILES.model,
  RUN_FILES.weights,
  RUN_FILES.metrics,
  RUN_FILES.history,
  // A soup (scripts/soup.ts) trained no epochs of its own: no curves.
  ...(shipped.recipe.soup ? [] : [RUN_FILES.curves]),
  RUN_FILES.confusion,
  ...(shipped.photos ? [RUN_FILES.photoConfusion] : []),
])
  await copyFile(join(run, f), join(target, f));
let report = await readFile(join(run, RUN_FILES.report), 'utf8');

/** Copies a comparison run's figures into models/<kind>/<folder>/ and describes it in the report. */
async function besideRun(dir: string, folder: string, title: string, weights = false): Promise<void> {
  const metrics = await requireRunMetrics<Recipe>(dir);
  await mkdir(join(target, folder));
  for (const f of [
    RUN_FILES.metrics,
    RUN_FILES.history,
    RUN_FILES.curves,
    RUN_FILES.confusion,
    RUN_FILES.report,
    ...(weights ? [RUN_FILES.model, RUN_FILES.weights] : []),
  ])
    await copyFile(join(dir, f), join(target, folder, f));
  report += [
    '',
    `## ${title}`,
    '',
    `- Recipe: ${recipeLine(metrics.recipe)}`,
    `- Best epoch ${metrics.bestEpoch}; validation accuracy ${(100 * metrics.validationAccuracy).toFixed(2)}%`,
    '',
    metricsSection(metrics),
    '',
    `Its history, charts and report are in [${folder}/](${folder}/report.md).`,
    '',
  ].join('\n');
}

if (values.base)
  await besideRun(
    userPath(values.base),
    'base-run',
    shipped.recipe.soup ? 'The run its ingredients were fine-tuned from' : 'The run it was fine-tuned from',
    values['keep-base-weights'],
  );

if (values.default && userPath(values.default) !== run) {
  await besideRun(userPath(values.default), 'default-recipe', 'The default recipe, for comparison');
} else {
  const { limit: _limit, ...recipe } = shipped.recipe;
  const isDefault = JSON.stringify(recipe) === JSON.stringify(defaultRecipe(shipped.recipe.model));
  report += isDefault ? '\nThis model is the default recipe itself.\n' : '\nNo default-recipe run was shipped beside this model.\n';
}
await writeFile(join(target, RUN_FILES.report), report);
console.log(`shipped ${run} -> ${target}: test accuracy ${(100 * shipped.accuracy).toFixed(2)}%`);
