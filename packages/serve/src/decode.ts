import { PNG } from 'pngjs';
import sharp from 'sharp';
import { SERVER_FORMATS_TEXT, sniffServerImage, type RawImage } from '@fmnist/core';
import { HttpError } from './errors.ts';
import { DEFAULT_DECODE, planDecode, type DecodeBudget, type ImagePlan } from './decode-budget.ts';
import { Semaphore } from './semaphore.ts';

export { DEFAULT_DECODE, type DecodeBudget };
/** The old name of the budget, still accepted by ServerOptions.decode. */
export type DecodeOptions = DecodeBudget;

// One libvips thread per image: requests already run in parallel on libuv's
// pool, and on 2 cores extra threads per image only add contention.
sharp.concurrency(1);
// The operation cache helps repeated pipelines on the same file, not uploads; keep memory flat.
sharp.cache(false);

/**
 * sharp and onnxruntime-node's session runs share libuv's thread pool
 * (UV_THREADPOOL_SIZE, 4 by default). Under load, 32 queued decodes would
 * make every inference wait behind them; keeping one thread free for
 * inference keeps batches flowing.
 */
const decodeSlots = new Semaphore(Math.max(1, Number(process.env.UV_THREADPOOL_SIZE ?? 4) - 1));

/** PNGs up to this size (Fashion-MNIST-like uploads) are decoded in JS, without a thread-pool round trip. */
const SMALL_PNG_SIDE = 64;
/**
 * ...and up to this many bytes and chunks: a 64x64 RGBA PNG of noise is
 * about 16 kB in a handful of chunks. Anything bigger goes to the image
 * threads, whatever its header says, so the event loop never walks an
 * 8 MB file of empty chunks.
 */
export const SMALL_PNG_BYTES = 32 * 1024;
const SMALL_PNG_CHUNKS = 16;

/** A backstop only: the budget above is the mechanism, since a running libvips decode cannot be interrupted reliably. */
const SHARP_TIMEOUT_SECONDS = 20;

/**
 * The sharp adapter: checks the format, auto-orients and hands full-size raw
 * pixels to core's preprocessing, which shrinks them itself. The browser
 * decodes with createImageBitmap to the same full-size pixels, so both sides
 * run the same steps on the same input (a sharp resize here made the 28x28
 * inputs differ by tens of gray levels and flipped top-1 on 5 of 42 photos).
 */
export async function decodeImage(bytes: Uint8Array, budget: DecodeBudget = DEFAULT_DECODE, plan = planDecode(bytes, budget)): Promise<RawImage> {
  if (isSmallPlan(plan, bytes)) return decodeSmallPng(bytes);
  return decodeSlots.run(() => decodeWithSharp(bytes, plan.cap));
}

/**
 * A non-interlaced PNG of at most SMALL_PNG_SIDE pixels a side (by its
 * header): cheaper to decode and preprocess in place than to hand to a thread.
 */
export function isSmallPng(bytes: Uint8Array, budget: DecodeBudget = DEFAULT_DECODE): boolean {
  if (bytes.length < 29 || bytes.length > SMALL_PNG_BYTES || sniffServerImage(bytes) !== 'png') return false; // too short: let sharp name the fault
  try {
    return isSmallPlan(planDecode(bytes, budget), bytes);
  } catch {
    return false; // the thread that decodes it names the fault
  }
}

export function isSmallPlan(plan: ImagePlan, bytes: Uint8Array): boolean {
  // pngjs bounds inflation by the image size only for non-interlaced PNGs; interlaced ones go to sharp.
  if (plan.format !== 'png' || bytes.length > SMALL_PNG_BYTES || plan.chunks > SMALL_PNG_CHUNKS || bytes[28] !== 0) return false;
  return plan.width <= SMALL_PNG_SIDE && plan.height <= SMALL_PNG_SIDE;
}

/** Small PNGs (isSmallPng): pngjs decodes synchronously in tens of microseconds (always RGBA, 8-bit). Orientation metadata is rare in PNG and ignored here. */
function decodeSmallPng(bytes: Uint8Array): RawImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  } catch (err) {
    throw new HttpError(
      'corrupt_image',
      `the PNG could not be decoded (corrupt or truncated): ${err instanceof Error ? err.message.slice(0, 120) : 'unknown fault'}`,
    );
  }
}

async function decodeWithSharp(bytes: Uint8Array, maxPixels: number): Promise<RawImage> {
  try {
    // limitInputPixels repeats the budget's pixel cap in libvips, in case its header reading differs from ours.
    // failOn 'truncated': a JPEG whose data stops early is refused, not padded with grey (libjpeg only warns).
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .timeout({ seconds: SHARP_TIMEOUT_SECONDS })
      .rotate() // auto-orient from EXIF
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels < 1 || channels > 4) throw new HttpError('unsupported_media_type', `images with ${channels} channels are not supported`);
    return {
      width: info.width,
      height: info.height,
      channels: channels as RawImage['channels'],
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (err) {
    throw classify(err);
  }
}

/** Maps sharp/libvips failures to client errors: whatever fails while decoding a client's bytes is the bytes' fault. */
function classify(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format|no decoder|compression format .* not supported/i.test(message))
    return new HttpError(
      'unsupported_media_type',
      `the body is not an image in a supported format (${SERVER_FORMATS_TEXT}; HEIC needs an HEVC decoder this server lacks)`,
    );
  if (/pixel limit/i.test(message)) return new HttpError('image_too_large', 'the image has more pixels than this server decodes; send a smaller image');
  // libvips messages can name internal buffers; keep only the first line, without paths.
  const first = message
    .split('\n')[0]!
    .replace(/\/[^\s:]+/g, '')
    .slice(0, 200);
  return new HttpError('corrupt_image', `the image could not be decoded (corrupt or truncated): ${first}`);
}
