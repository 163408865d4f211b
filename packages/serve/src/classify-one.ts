import { bytesToInput, garmentRegion, isUncertain, topK, type PreprocessReport, type Prediction } from '@fmnist/core';
import type { Batcher } from './batcher.ts';
import type { ServeContext } from './context.ts';
import { planDecode, type ImagePlan } from './decode-budget.ts';
import { explanationBody, explainImage, type ExplainTimings, type ExplanationBody } from './explain-image.ts';
import type { ExplainRequest } from './explain-request.ts';
import { isSmallPlan } from './decode.ts';
import { prepareImage, type PreparedImage } from './prepare.ts';
import { pngDataUrl } from './png.ts';
import type { Semaphore } from './semaphore.ts';
import type { LoadedModel } from './registry.ts';
import { stopIfGone } from './work-queue.ts';

export interface ClassifyResult {
  predictions: Prediction[];
  /**
   * Calibrated models only: the top probability is under the model's
   * threshold, so the answer is more likely wrong (or the photo shows
   * something no class fits) than a confident one.
   */
  uncertain?: boolean;
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number } & Partial<ExplainTimings>;
  preprocessing: PreprocessReport;
  input?: string;
  /** With explain=1: the maps, and where the garment is. */
  explanation?: ExplanationBody;
}

/** What the client asked for besides the predictions. */
export interface ClassifyExtras {
  /** Echo the 28x28 input as a PNG data URL. */
  input: boolean;
  explain?: ExplainRequest;
}

/** One image of a request: its bytes and, once read, its header's verdict. */
export interface ClassifyJob {
  bytes: Uint8Array;
  plan?: ImagePlan;
  /**
   * The client's request, whose signal fires when the client has gone: the
   * work stops at its next step. Its `signal` is read only where work can
   * wait, because @hono/node-server makes the AbortSignal on first read, at
   * about 4 µs, a few percent of a small PNG's whole request.
   */
  request?: { readonly signal: AbortSignal };
  /** Shared by a batch's images, so that one request holds at most a few places in the decode queue. */
  gate?: Semaphore;
}

/**
 * Header check (the decode budget) -> decode -> preprocess (core, shared
 * with the browser) -> batched inference. Small PNGs (Fashion-MNIST-like
 * uploads) are prepared in place, in less time than a thread hand-off
 * takes; everything else waits its turn in the bounded decode queue.
 */
export async function classifyImage(
  ctx: ServeContext,
  model: LoadedModel,
  batcher: Batcher,
  job: ClassifyJob,
  k: number,
  extras: ClassifyExtras,
): Promise<ClassifyResult> {
  const { bytes, gate } = job;
  const plan = job.plan ?? planDecode(bytes, ctx.decode);
  let prepared: PreparedImage;
  if (isSmallPlan(plan, bytes)) {
    // Prepared in place within microseconds of the body's arrival: no wait in which the client could leave.
    prepared = await prepareImage(bytes, ctx.decode, ctx.preprocess, plan);
  } else {
    const signal = job.request?.signal;
    const inThread = () => ctx.decodeQueue.run(plan.cost, signal, () => ctx.images.prepare(bytes, ctx.decode, ctx.preprocess, plan));
    prepared = await (gate ? gate.run(inThread) : inThread());
    stopIfGone(signal, 'inference');
  }
  const { pixels, report, source, decodeMs, preprocessMs } = prepared;
  const input = bytesToInput(pixels);
  const inputPng = extras.input ? await pngDataUrl(pixels) : undefined;
  const t2 = performance.now();
  if (extras.explain) {
    const run = await explainImage(extras.explain, model, input);
    const t3 = performance.now();
    ctx.metrics.images.inc({ model: model.name });
    const result = buildResult(model, run.probabilities, k, { decodeMs, preprocessMs, inferenceMs: 0 }, report, inputPng);
    result.explanation = explanationBody(extras.explain, model, run, pixels, garmentRegion(report, source));
    Object.assign(result.timings, { explainMs: round(t3 - t2), overlayMs: round(performance.now() - t3) });
    return result;
  }
  const scores = await batcher.submit(input);
  const t3 = performance.now();
  ctx.metrics.images.inc({ model: model.name });
  return buildResult(model, scores.probabilities, k, { decodeMs, preprocessMs, inferenceMs: t3 - t2 }, report, inputPng);
}

/** The response body for one image; one place to add fields to. */
function buildResult(
  model: LoadedModel,
  probabilities: Float32Array,
  k: number,
  ms: ClassifyResult['timings'],
  report: PreprocessReport,
  input: string | undefined,
): ClassifyResult {
  const predictions = topK(probabilities, k, model.classNames);
  const result: ClassifyResult = {
    predictions,
    ...(model.calibration ? { uncertain: isUncertain(predictions[0]!.probability, model.calibration) } : {}),
    timings: { decodeMs: round(ms.decodeMs), preprocessMs: round(ms.preprocessMs), inferenceMs: round(ms.inferenceMs) },
    preprocessing: report,
  };
  if (input !== undefined) result.input = input;
  return result;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Boolean flags in query/form fields: `1`, `true`, `yes`. */
export function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value);
}
