import { IMAGE_HEIGHT, IMAGE_WIDTH, type GarmentRegion } from '@fmnist/core';
import type { ExplainRequest } from './explain-request.ts';
import type { ExplainedRow } from './explainer.ts';
import { overlayDataUrl } from './overlay.ts';
import type { LoadedModel } from './registry.ts';
import { stopIfGone } from './work-queue.ts';

/** One explained class of one image, as the response carries it. */
export interface ExplanationMap {
  class: { index: number; name: string };
  /** The classifier's probability of that class. */
  probability: number;
  /** The top class (maps[0] always is). */
  top: boolean;
  /** The class `explain_class` named. */
  requested: boolean;
  /** 28 rows of 28 values in [0, 1]: row r, column c is input pixel (x = c, y = r). */
  heatmap: number[][];
  /** PNG data URL: the 28x28 input with the map blended over it. */
  overlay: string;
}

export interface Explanation {
  model: { name: string; version: string };
  /** The map the graph returns as `heatmap`, from its metadata. */
  method: string;
  form?: string;
  maps: ExplanationMap[];
  region: GarmentRegion;
}

export interface ExplainTimings {
  /** Waiting for and running the explanation graph. */
  explainMs: number;
  /** Encoding the overlays and the maps' numbers. */
  overlayMs: number;
}

/**
 * Explains the top class (the classifier's answer) and, if asked, one more,
 * through the model's explanation batcher. The top class is passed as an
 * index rather than TOP_CLASS, so the map always explains the class the
 * response names first.
 */
export async function explainImage(req: ExplainRequest, model: LoadedModel, image: { input: Float32Array; pixels: Uint8Array; region: GarmentRegion }, probabilities: Float32Array, signal?: AbortSignal): Promise<{ explanation: Explanation; timings: ExplainTimings }> {
  stopIfGone(signal, 'explanation');
  const top = argmax(probabilities);
  const classes = req.requested === undefined || req.requested === top ? [top] : [top, req.requested];
  const t0 = performance.now();
  const rows = await Promise.all(classes.map((cls) => req.batcher.submit({ input: image.input, cls })));
  const t1 = performance.now();
  const maps = rows.map((row, i) => mapBody(model, row, probabilities, i === 0, classes[i] === req.requested, image.pixels));
  const { explanation: info, name, version } = req.explainer;
  const explanation: Explanation = { model: { name, version }, method: info.heatmap, ...(info.heatmap === 'saliency' && info.saliency ? { form: info.saliency } : {}), maps, region: image.region };
  return { explanation, timings: { explainMs: t1 - t0, overlayMs: performance.now() - t1 } };
}

function mapBody(model: LoadedModel, row: ExplainedRow, probabilities: Float32Array, top: boolean, requested: boolean, pixels: Uint8Array): ExplanationMap {
  const index = row.explainedClass;
  const heatmap: number[][] = [];
  // The float32 values as they are (a double holds each exactly): shortening them to fewer digits took 3x as long as serialising them.
  for (let y = 0; y < IMAGE_HEIGHT; y++) heatmap.push(Array.from(row.heatmap.subarray(y * IMAGE_WIDTH, (y + 1) * IMAGE_WIDTH)));
  return { class: { index, name: model.classNames[index] ?? String(index) }, probability: probabilities[index]!, top, requested, heatmap, overlay: overlayDataUrl(pixels, row.heatmap) };
}

/** Index of the largest value (the first on ties, as topK's stable sort ranks them). */
function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
