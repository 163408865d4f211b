import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '@fmnist/core';

/** Loss and accuracy per epoch, training against validation, side by side. */
export function curvesSpec(history: EpochRecord[], title: string): TopLevelSpec {
  const rows = history.flatMap((h) => [
    { epoch: h.epoch, metric: 'loss', split: 'train', value: h.loss },
    { epoch: h.epoch, metric: 'loss', split: 'validation', value: h.valLoss },
    { epoch: h.epoch, metric: 'accuracy', split: 'train', value: h.accuracy },
    { epoch: h.epoch, metric: 'accuracy', split: 'validation', value: h.valAccuracy },
    ...(h.photoValAccuracy === undefined ? [] : [{ epoch: h.epoch, metric: 'accuracy', split: 'photo validation (accept-top1)', value: h.photoValAccuracy }]),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', sort: ['loss', 'accuracy'], title: null } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'split', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Confusion-matrix heatmap with counts; rows are true classes (or, for photos, source labels: `rowNames`). */
export function confusionSpec(
  confusion: number[][],
  names: readonly string[],
  title: string,
  rowNames: readonly string[] = names,
  rowTitle = 'true class',
): TopLevelSpec {
  const rows = confusion.flatMap((row, t) => row.map((count, p) => ({ truth: rowNames[t], predicted: names[p], count })));
  const order = [...names];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    width: 420,
    height: 42 * rowNames.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted' },
      y: { field: 'truth', type: 'nominal', sort: [...rowNames], title: rowTitle },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' } } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.count > 300', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
