import { IMAGE_HEIGHT, IMAGE_WIDTH, softmaxRows, TOP_CLASS, type GarmentRegion } from '@fmnist/core';
import type { ExplainRequest } from './explain-request.ts';
import type { ExplainedRow } from './explainer.ts';
import { overlayDataUrl } from './overlay.ts';
import type { LoadedModel } from './registry.ts';

/** One explained class of one image, as the response carries it. */
export interface ExplanationMap {
  class: { index: number; name: string };
  /** The classifier's probability of that class. */
  probability: number;
  /** The top class (maps[0] always is). */
  top: boolean;
  /** The class `explain_class` named. */
  requested: boolean;
  /** 28 rows of 28 values in [0, 1], rounded to HEATMAP_DECIMALS: row r, column c is input pixel (x = c, y = r). */
  heatmap: number[][];
  /** PNG data URL: the 28x28 input with the map blended over it. */
  overlay: string;
}

export interface ExplanationBody {
  model: { name: string; version: string };
  /** The map the graph returns as `heatmap`, from its metadata. */
  method: string;
  form?: string;
  /** What the maps are gradients of ('logit', 'log-probability'), when the graph says. */
  target?: string;
  maps: ExplanationMap[];
  region: GarmentRegion;
}

export interface ExplainTimings {
  /** Waiting for and running the explanation graph, which also classifies (inferenceMs is 0 then). */
  explainMs: number;
  /** Drawing and encoding the overlays, and copying the maps' numbers. */
  overlayMs: number;
}

/** The explanation graph's answer for one image: its class scores and the rows of the maps. */
export interface ExplainRun {
  /** As the classifier gives them: the graph's, or softmax(logits / T) where the graph's are not calibrated as the classifier's are. */
  probabilities: Float32Array;
  /** The top class's row first, then the requested class's (absent when it is the top class). */
  rows: ExplainedRow[];
}

/**
 * Runs the explanation graph for the top class and, if asked, one more,
 * through the model's explanation batcher. The graph classifies too (same
 * weights, identical logits), so an explained image skips the classifier:
 * one session run per map instead of one more on top.
 */
export async function explainImage(req: ExplainRequest, model: LoadedModel, input: Float32Array): Promise<ExplainRun> {
  const classes = req.requested === undefined ? [TOP_CLASS] : [TOP_CLASS, req.requested];
  const rows = await Promise.all(classes.map((cls) => req.batcher.submit({ input, cls })));
  const top = rows[0]!;
  const probabilities = req.explainer.ownProbabilities ? top.probabilities : softmaxRows(top.logits, model.calibration?.temperature ?? 1);
  return { probabilities, rows: rows.length > 1 && rows[1]!.explainedClass === top.explainedClass ? [top] : rows };
}

/** The response's `explanation`: the maps as numbers and overlays, the method, and where the garment is. */
export function explanationBody(req: ExplainRequest, model: LoadedModel, run: ExplainRun, pixels: Uint8Array, region: GarmentRegion): ExplanationBody {
  const maps = run.rows.map((row, i) => mapBody(model, row, run.probabilities, i === 0, row.explainedClass === req.requested, pixels));
  const { explanation: info, name, version } = req.explainer;
  return {
    model: { name, version },
    method: info.heatmap,
    ...(info.heatmap === 'saliency' && info.saliency ? { form: info.saliency } : {}),
    ...(info.target ? { target: info.target } : {}),
    maps,
    region,
  };
}

function mapBody(model: LoadedModel, row: ExplainedRow, probabilities: Float32Array, top: boolean, requested: boolean, pixels: Uint8Array): ExplanationMap {
  const index = row.explainedClass;
  return {
    class: { index, name: model.classNames[index] ?? String(index) },
    probability: probabilities[index]!,
    top,
    requested,
    heatmap: heatmapRows(row.heatmap),
    overlay: overlayDataUrl(pixels, row.heatmap),
  };
}

/**
 * Decimals of the served heatmap values. A float32 printed in full takes 17-20
 * characters; six decimals are far below what a colour scale shows and what
 * issue 13 asks of the browser's agreement with the server (1e-4), and halve
 * the map's JSON (11 to 5 kB) and the time to build and serialise it.
 */
export const HEATMAP_DECIMALS = 6;
const SCALE = 10 ** HEATMAP_DECIMALS;

/** The map as 28 rows of 28 numbers, each rounded to HEATMAP_DECIMALS (so the nearest double prints with at most that many). */
export function heatmapRows(map: Float32Array): number[][] {
  const rows: number[][] = new Array(IMAGE_HEIGHT);
  for (let y = 0; y < IMAGE_HEIGHT; y++) {
    const row: number[] = new Array(IMAGE_WIDTH);
    for (let x = 0; x < IMAGE_WIDTH; x++) row[x] = Math.round(map[y * IMAGE_WIDTH + x]! * SCALE) / SCALE;
    rows[y] = row;
  }
  return rows;
}
