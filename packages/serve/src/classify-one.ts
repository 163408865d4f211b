import { bytesToInput, preprocessImage, type PreprocessReport } from '@fmnist/core';
import type { Batcher } from './batcher.ts';
import type { ServeContext } from './context.ts';
import { decodeImage } from './decode.ts';
import { pngDataUrl } from './png.ts';
import type { LoadedModel } from './registry.ts';
import { topK, type Prediction } from './topk.ts';

export interface ClassifyResult {
  predictions: Prediction[];
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number };
  preprocessing: PreprocessReport;
  input?: string;
}

/** Decode (sharp) -> preprocess (core, shared with the browser) -> batched inference. */
export async function classifyImage(ctx: ServeContext, model: LoadedModel, batcher: Batcher, bytes: Uint8Array, k: number, withInput: boolean): Promise<ClassifyResult> {
  const t0 = performance.now();
  const raw = await decodeImage(bytes, ctx.decode);
  const t1 = performance.now();
  const { pixels, report } = preprocessImage(raw, ctx.preprocess);
  const t2 = performance.now();
  const scores = await batcher.submit(bytesToInput(pixels));
  const t3 = performance.now();
  ctx.metrics.images.inc({ model: model.name });
  const result: ClassifyResult = {
    predictions: topK(scores.probabilities, model.classNames, k),
    timings: { decodeMs: round(t1 - t0), preprocessMs: round(t2 - t1), inferenceMs: round(t3 - t2) },
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
