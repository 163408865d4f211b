import type { TopLevelSpec } from 'vega-lite';
import { IMAGE_PIXELS } from '@fmnist/core';
import { areaBetween, type DeletionCurve } from './deletion.ts';

/** A row of docs/runs/explain/deletion-runs.json: a candidate run scored on validation (scripts/deletion-runs.ts). */
export interface CandidateRow {
  run: string;
  /** The shipped name whose default map was scored. */
  as: string;
  map: string;
  images: number;
  seed: number;
  /** What the run changed from the model it started from (pixel dropout, rate, epochs). */
  recipe: string;
  validationAccuracy: number;
  intact: number;
  mapDrop: number;
  randomDrop: number;
  ratio: number;
}

/** One ranking's curve for one model ('random' is the baseline). */
export interface RankedCurve {
  model: string;
  ranking: string;
  curve: DeletionCurve;
  /** The map `heatmap` returns. */
  isDefault: boolean;
  /** The default map's ratio at the issue's 10%, a 95% bootstrap interval over the images (deletion.ts ratioInterval). */
  ratioInterval?: [number, number];
  /** The default map only: the random baseline's drop at the issue's 10% on each of several draws (deletion.ts randomDrops), the first the curve's own. */
  randomDraws?: number[];
}

export interface DeletionRow {
  model: string;
  ranking: string;
  isDefault: boolean;
  intact: number;
  atTop10: number;
  drop: number;
  ratio: number;
  area: number;
}

/** Summary at `k` removed pixels (the issue's 10% = 78) against the model's random curve. */
export function deletionRows(curves: readonly RankedCurve[], k: number): DeletionRow[] {
  return curves
    .filter((c) => c.ranking !== 'random')
    .map((c) => {
      const random = curves.find((r) => r.model === c.model && r.ranking === 'random')!.curve;
      const at = c.curve.removed.indexOf(k);
      if (at < 0) throw new RangeError(`the curves have no point at ${k} pixels`);
      const drop = c.curve.meanProbability[0]! - c.curve.meanProbability[at]!;
      const randomDrop = random.meanProbability[0]! - random.meanProbability[at]!;
      return {
        model: c.model,
        ranking: c.ranking,
        isDefault: c.isDefault,
        intact: c.curve.meanProbability[0]!,
        atTop10: c.curve.meanProbability[at]!,
        drop,
        ratio: drop / randomDrop,
        area: areaBetween(c.curve, random),
      };
    });
}

export function deletionMarkdown(curves: readonly RankedCurve[], k: number): string {
  const randomAt = (model: string) => {
    const r = curves.find((c) => c.model === model && c.ranking === 'random')!.curve;
    return r.meanProbability[0]! - r.meanProbability[r.removed.indexOf(k)]!;
  };
  return [
    `| model | map (ranking) | p(class) intact | after removing top ${k} | mean drop | random ${k} garment pixels: drop | ratio | area between curves (0-50%) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...deletionRows(curves, k).map(
      (r) =>
        `| ${r.model} | ${r.isDefault ? `**${r.ranking}** (default)` : r.ranking} | ${r.intact.toFixed(3)} | ${r.atTop10.toFixed(3)} | ${r.drop.toFixed(3)} | ${randomAt(r.model).toFixed(3)} | ${r.ratio.toFixed(2)}x | ${r.area.toFixed(3)} |`,
    ),
  ].join('\n');
}

/** Mean probability against the share of pixels removed, one panel per model. */
export function deletionChartSpec(curves: readonly RankedCurve[], title: string): TopLevelSpec {
  const rows = curves.flatMap((c) =>
    c.curve.removed.map((k, i) => ({ model: c.model, ranking: c.ranking, removed: k / IMAGE_PIXELS, probability: c.curve.meanProbability[i]! })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'model', type: 'nominal', title: null } },
    spec: {
      width: 320,
      height: 240,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'removed', type: 'quantitative', title: 'share of pixels removed (set to 0)', axis: { format: '%' } },
        y: { field: 'probability', type: 'quantitative', title: 'mean probability of the explained class', scale: { domain: [0, 1] } },
        color: { field: 'ranking', type: 'nominal', title: 'pixels removed first' },
        strokeDash: { condition: { test: "datum.ranking === 'random'", value: [4, 3] }, value: [1, 0] },
      },
    },
  };
}
