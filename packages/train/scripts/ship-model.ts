/**
 * Copies a finished run into models/<kind>/ as the shipped default, with the
 * default-recipe run's figures kept beside it (models/<kind>/default-recipe/).
 * `pnpm --filter @fmnist/train run ship --model cnn --run runs/cnn-best --default runs/cnn-default`
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, userPath } from '@fmnist/core/node';
import { MODEL_JSON, WEIGHTS_BIN } from '../src/model/artifacts.ts';
import { defaultRecipe } from '../src/fit.ts';
import { metricsSection, recipeLine, RUN_FILES, type RunMetrics } from '../src/report/run-report.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, run: { type: 'string' }, default: { type: 'string' } } });
if (!values.model || !values.run) throw new Error('usage: ship --model mlp|cnn --run RUN_DIR [--default DEFAULT_RUN_DIR]');
const run = userPath(values.run);
const target = join(repoRoot(), 'models', values.model);
const readMetrics = async (dir: string) => JSON.parse(await readFile(join(dir, RUN_FILES.metrics), 'utf8')) as RunMetrics;

const shipped = await readMetrics(run);
if (shipped.model !== values.model) throw new Error(`${run} holds a ${shipped.model} run, not ${values.model}`);
if (shipped.count !== 10_000) throw new Error(`${run} was evaluated on ${shipped.count} test images; ship only full runs`);
await rm(target, { recursive: true, force: true });
await mkdir(target, { recursive: true });
for (const f of [MODEL_JSON, WEIGHTS_BIN, RUN_FILES.metrics, RUN_FILES.history, RUN_FILES.curves, RUN_FILES.confusion]) await copyFile(join(run, f), join(target, f));
let report = await readFile(join(run, RUN_FILES.report), 'utf8');

if (values.default && userPath(values.default) !== run) {
  const defaultRun = userPath(values.default);
  const base = await readMetrics(defaultRun);
  const dir = join(target, 'default-recipe');
  await mkdir(dir);
  for (const f of [RUN_FILES.metrics, RUN_FILES.history, RUN_FILES.curves, RUN_FILES.confusion, RUN_FILES.report]) await copyFile(join(defaultRun, f), join(dir, f));
  report += [
    '',
    '## The default recipe, for comparison',
    '',
    `- Recipe: ${recipeLine(base.recipe)}`,
    `- Best epoch ${base.bestEpoch}; validation accuracy ${(100 * base.validationAccuracy).toFixed(2)}%`,
    '',
    metricsSection(base),
    '',
    `Its history, charts and report are in [default-recipe/](default-recipe/report.md).`,
    '',
  ].join('\n');
} else {
  const { limit: _limit, ...recipe } = shipped.recipe;
  const isDefault = JSON.stringify(recipe) === JSON.stringify(defaultRecipe(shipped.recipe.model));
  report += isDefault ? '\nThis model is the default recipe itself.\n' : '\nNo default-recipe run was shipped beside this model.\n';
}
await writeFile(join(target, RUN_FILES.report), report);
console.log(`shipped ${run} -> ${target}: test accuracy ${(100 * shipped.accuracy).toFixed(2)}%`);
