import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASS_NAMES, RUN_FILES, topConfusions, type ClassificationMetrics, type RunHistory, type RunMetrics } from '@fmnist/core';
import { renderSvg, writeRunJson } from '@fmnist/core/node';
import type { Recipe } from '../recipe.ts';
import { shareFractions, type SoupIngredient } from '../model/soup.ts';
import { photoConfusionSpec, photoSection } from './photo-section.ts';
import { confusionSpec, curvesSpec } from './charts.ts';

/** metrics.json of a train run: core's RunMetrics with train's full recipe. */
export type TrainRunMetrics = RunMetrics<Recipe>;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function recipeLine(r: Recipe): string {
  if (r.soup) return soupLine(r.soup);
  const aug = r.augment
    ? `rotation ±${r.augment.maxRotationDeg}°, flip p=${r.augment.flipProbability}, shift ±${r.augment.maxShift}px${r.augment.eraseProbability ? `, random erasing p=${r.augment.eraseProbability}` : ''}${r.augment.pixelDrop ? `, pixel dropout up to ${r.augment.pixelDrop}` : ''}`
    : 'none';
  const optimizer = r.optimizer === 'sgd' ? `SGD (Nesterov momentum ${r.momentum ?? 0.9})` : 'Adam';
  const architecture = r.model === 'resnet' ? `ResNet-${r.depth ?? 20} (width ${r.width ?? 16}), ` : '';
  const layers =
    r.model === 'resnet'
      ? ''
      : `, dropout ${r.dropout}${r.convDropout ? `, conv dropout ${r.convDropout}` : ''}${r.padding === 'same' ? ', same padding' : ''}, batch norm ${r.batchNorm ? 'on' : 'off'}`;
  const photos = r.photos
    ? `; real photos from ${r.photos.dir}: ${Math.round(100 * r.photos.ratio)}% of every batch, photo augmentation ${r.photos.augment ? 'on' : 'off'}${r.photos.balance === 'sqrt' ? ', classes drawn by 1/sqrt(count)' : ''}, fold ${r.photos.fold} of ${r.photos.folds} validates`
    : '';
  return `${architecture}${r.epochs} epochs, batch ${r.batchSize}, ${optimizer} lr ${r.learningRate} (${r.lrSchedule})${r.weightDecay ? `, weight decay ${r.weightDecay}` : ''}${layers}, augmentation ${aug}, seed ${r.seed}${r.shuffleSeed !== undefined ? ` (shuffle seed ${r.shuffleSeed})` : ''}, validation ${r.validationCount}${r.limit ? `, limit ${r.limit}` : ''}${r.epochImages ? `, ${r.epochImages} images an epoch` : ''}${r.labelSmoothing ? `, label smoothing ${r.labelSmoothing}` : ''}${r.initFrom ? `, fine-tuned from ${r.initFrom}` : ''}${r.distill ? `, distilled from ${r.distill.from} (weight ${r.distill.weight}, T ${r.distill.temperature})` : ''}${photos}`;
}

/** A soup's recipe: its ingredients and their shares (each ingredient's recipe is in its own report). */
function soupLine(ingredients: readonly SoupIngredient[]): string {
  const fractions = shareFractions(ingredients.map((i) => i.weight));
  const parts = ingredients.map(
    (i, k) => `${i.run} × ${fractions[k]!.toFixed(3)}${i.validationAccuracy !== undefined ? ` (validation ${pct(i.validationAccuracy)})` : ''}`,
  );
  return `model soup, the weighted mean of the weights of ${parts.join(', ')}; no training of its own`;
}

export function metricsSection(m: ClassificationMetrics): string {
  const rows = m.perClass.map((c) => `| ${c.index} | ${c.name} | ${pct(c.precision)} | ${pct(c.recall)} | ${pct(c.f1)} | ${c.support} |`);
  const confused = topConfusions(m.confusion, 6).map((c) => `- ${c.truth} taken for ${c.predicted}: ${c.count}`);
  return [
    `Test accuracy **${pct(m.accuracy)}** on ${m.count} images; macro precision ${pct(m.macro.precision)}, recall ${pct(m.macro.recall)}, F1 ${pct(m.macro.f1)}.`,
    '',
    '| # | class | precision | recall | F1 | support |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Most frequent confusions (true class taken for predicted class):',
    '',
    ...confused,
  ].join('\n');
}

function reportMarkdown(metrics: TrainRunMetrics, history: RunHistory): string {
  const last = history.epochs.at(-1);
  return [
    `# ${metrics.model.toUpperCase()} run report`,
    '',
    `- Recipe: ${recipeLine(metrics.recipe)}`,
    metrics.recipe.soup
      ? `- Backend: ${metrics.backend}, for the evaluation only (the ingredients' training is in their reports)`
      : `- Backend: ${metrics.backend}; training ${metrics.trainSeconds.toFixed(0)} s (${(metrics.trainSeconds / 60).toFixed(1)} minutes, every session's epochs when resumed), ${metrics.trainImagesPerSecond.toFixed(0)} images/s`,
    ...(metrics.parameters !== undefined
      ? [
          `- Model: ${metrics.parameters.toLocaleString('en-US')} parameters${metrics.flopsPerImage ? `, ${(metrics.flopsPerImage / 1e6).toFixed(1)} MFLOPs per image (forward)` : ''}`,
        ]
      : []),
    metrics.recipe.soup
      ? `- Validation accuracy ${pct(metrics.validationAccuracy)} (no epochs: a weight average; its ingredients' curves are in their own reports)`
      : `- Best epoch (${metrics.photos ? 'mean of Fashion-MNIST validation accuracy and photo validation accept-top1' : 'validation accuracy'}): ${metrics.bestEpoch} of ${history.epochs.length}, validation accuracy ${pct(metrics.validationAccuracy)}${last ? `; last epoch ${pct(last.valAccuracy)}` : ''}`,
    `- Created: ${metrics.createdAt}`,
    '',
    '## Test set',
    '',
    metricsSection(metrics),
    '',
    ...(metrics.photos ? [photoSection(metrics.photos), ''] : []),
    ...(history.epochs.length ? ['## Curves', '', `![loss and accuracy per epoch](${RUN_FILES.curves})`, ''] : []),
    '## Confusion matrix',
    '',
    `![confusion matrix](${RUN_FILES.confusion})`,
    '',
  ].join('\n');
}

/** Writes metrics.json, history.json, the two SVG charts and report.md into a run directory. */
export async function writeRunReport(dir: string, metrics: TrainRunMetrics, history: RunHistory): Promise<void> {
  const title = `${metrics.model.toUpperCase()}`;
  await Promise.all([
    writeRunJson(dir, metrics, history),
    // A soup has no epochs, so no curves.
    ...(history.epochs.length
      ? [renderSvg(curvesSpec(history.epochs, `${title}: loss and accuracy`)).then((svg) => writeFile(join(dir, RUN_FILES.curves), svg))]
      : []),
    renderSvg(confusionSpec(metrics.confusion, CLASS_NAMES, `${title}: test confusion matrix (${pct(metrics.accuracy)})`)).then((svg) =>
      writeFile(join(dir, RUN_FILES.confusion), svg),
    ),
    writeFile(join(dir, RUN_FILES.report), reportMarkdown(metrics, history)),
    ...(metrics.photos ? [renderSvg(photoConfusionSpec(metrics.photos, title)).then((svg) => writeFile(join(dir, RUN_FILES.photoConfusion), svg))] : []),
  ]);
}
