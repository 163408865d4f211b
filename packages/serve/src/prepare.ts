import { preprocessImage, type PreprocessOptions, type PreprocessReport } from '@fmnist/core';
import type { ImagePlan } from './decode-budget.ts';
import { decodeImage, type DecodeOptions } from './decode.ts';

/** An upload turned into the model's 28x28 bytes, with what it took. */
export interface PreparedImage {
  pixels: Uint8Array;
  report: PreprocessReport;
  /** The decoded image's size (after EXIF orientation): the frame the garment box maps back to. */
  source: { width: number; height: number };
  decodeMs: number;
  preprocessMs: number;
}

/**
 * Decode (sharp or pngjs) -> preprocess (core, shared with the browser). Throws HttpError for the client's faults.
 * `plan`: the header's verdict when the caller has it already (reading it again costs a small PNG a few percent).
 */
export async function prepareImage(bytes: Uint8Array, decode: DecodeOptions, preprocess: PreprocessOptions, plan?: ImagePlan): Promise<PreparedImage> {
  const t0 = performance.now();
  const raw = await decodeImage(bytes, decode, plan);
  const t1 = performance.now();
  const { pixels, report } = preprocessImage(raw, preprocess);
  return { pixels, report, source: { width: raw.width, height: raw.height }, decodeMs: t1 - t0, preprocessMs: performance.now() - t1 };
}
