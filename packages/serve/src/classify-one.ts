import { bytesToInput, type PreprocessReport } from '@fmnist/core';
import type { Batcher } from './batcher.ts';
import type { ServeContext } from './context.ts';
import { isSmallPng } from './decode.ts';
import { prepareImage } from './prepare.ts';
import { pngDataUrl } from './png.ts';
import type { LoadedModel } from './registry.ts';
import { topK, type Prediction } from './topk.ts';

export interface ClassifyResult {
  predictions: Prediction[];
  /**
   * Calibrated models only: the top probability is under the model's
   * threshold, so the answer is more likely wrong (or the photo shows
   * something no class fits) than a confident one.
   */
  uncertain?: boolean;
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number };
  preprocessing: PreprocessReport;
  input?: string;
}

/**
 * Decode -> preprocess (core, shared with the browser) -> batched inference.
 * Small PNGs (Fashion-MNIST-like uploads) are prepared in place, in less
 * time than a thread hand-off takes; everything else in the image pool.
 */
export async function classifyImage(ctx: ServeContext, model: LoadedModel, batcher: Batcher, bytes: Uint8Array, k: number, withInput: boolean): Promise<ClassifyResult> {
  const { pixels, report, decodeMs, preprocessMs } = isSmallPng(bytes) ? await prepareImage(bytes, ctx.decode, ctx.preprocess) : await ctx.images.prepare(bytes, ctx.decode, ctx.preprocess);
  const t2 = performance.now();
  const scores = await batcher.submit(bytesToInput(pixels));
  const t3 = performance.now();
  ctx.metrics.images.inc({ model: model.name });
  const predictions = topK(scores.probabilities, model.classNames, k);
  const result: ClassifyResult = {
    predictions,
    ...(model.calibration ? { uncertain: predictions[0]!.probability < model.calibration.uncertainThreshold } : {}),
    timings: { decodeMs: round(decodeMs), preprocessMs: round(preprocessMs), inferenceMs: round(t3 - t2) },
    preprocessing: report,
  };
  if (withInput) result.input = await pngDataUrl(pixels);
  return result;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Boolean flags in query/form fields: `1`, `true`, `yes`. */
export function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value);
}
