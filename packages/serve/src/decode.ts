import { PNG } from 'pngjs';
import sharp from 'sharp';
import type { RawImage } from '@fmnist/core';
import { HttpError } from './errors.ts';
import { Semaphore } from './semaphore.ts';

// One libvips thread per image: requests already run in parallel on libuv's
// pool, and on 2 cores extra threads per image only add contention.
sharp.concurrency(1);
// The operation cache helps repeated pipelines on the same file, not uploads; keep memory flat.
sharp.cache(false);

export interface DecodeOptions {
  /** Refuse images with more pixels than this (read from the header, before decoding). */
  maxPixels: number;
}

/**
 * sharp and onnxruntime-node's session runs share libuv's thread pool
 * (UV_THREADPOOL_SIZE, 4 by default). Under load, 32 queued decodes would
 * make every inference wait behind them; keeping one thread free for
 * inference keeps batches flowing.
 */
const decodeSlots = new Semaphore(Math.max(1, Number(process.env.UV_THREADPOOL_SIZE ?? 4) - 1));

/** PNGs up to this size (Fashion-MNIST-like uploads) are decoded in JS, without a thread-pool round trip. */
const SMALL_PNG_SIDE = 64;

export const DEFAULT_DECODE: DecodeOptions = { maxPixels: 50_000_000 };

/**
 * The formats we accept, told apart by their magic bytes before sharp sees
 * them: libvips would also load SVG, PDF and others whose rendering cost is
 * not bounded by a pixel count.
 */
export function sniffFormat(b: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp' && /^(avif|avis|heic|heix|mif1|msf1)$/.test(ascii(8, 12))) return 'heif';
  return undefined;
}

/**
 * The sharp adapter: checks the format, auto-orients and hands full-size raw
 * pixels to core's preprocessing, which shrinks them itself. The browser
 * decodes with createImageBitmap to the same full-size pixels, so both sides
 * run the same steps on the same input (a sharp resize here made the 28x28
 * inputs differ by tens of gray levels and flipped top-1 on 5 of 42 photos).
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = DEFAULT_DECODE): Promise<RawImage> {
  if (bytes.length === 0) throw new HttpError('empty_body', 'the image is empty');
  const format = sniffFormat(bytes);
  if (!format) throw new HttpError('unsupported_media_type', 'the body is not an image in a supported format (PNG, JPEG, WebP, GIF, AVIF, TIFF)');
  if (format === 'png' && isSmallPng(bytes)) return decodeSmallPng(bytes);
  return decodeSlots.run(() => decodeWithSharp(bytes, options));
}

/**
 * A non-interlaced PNG of at most SMALL_PNG_SIDE pixels a side (by its
 * header): cheaper to decode and preprocess in place than to hand to a thread.
 */
export function isSmallPng(bytes: Uint8Array): boolean {
  if (bytes.length < 29 || sniffFormat(bytes) !== 'png') return false; // too short: let sharp name the fault
  // pngjs bounds inflation by the image size only for non-interlaced PNGs; interlaced ones go to sharp.
  if (bytes[28] !== 0) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width >= 1 && height >= 1 && width <= SMALL_PNG_SIDE && height <= SMALL_PNG_SIDE;
}

/** Small PNGs (isSmallPng): pngjs decodes synchronously in tens of microseconds (always RGBA, 8-bit). Orientation metadata is rare in PNG and ignored here. */
function decodeSmallPng(bytes: Uint8Array): RawImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  } catch (err) {
    throw new HttpError('corrupt_image', `the PNG could not be decoded (corrupt or truncated): ${err instanceof Error ? err.message.slice(0, 120) : 'unknown fault'}`);
  }
}

async function decodeWithSharp(bytes: Uint8Array, options: DecodeOptions): Promise<RawImage> {
  try {
    // limitInputPixels is checked against the header's dimensions before any
    // pixel is decoded: a decompression bomb is refused without the memory it asks for.
    const { data, info } = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' })
      .rotate() // auto-orient from EXIF
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels < 1 || channels > 4) throw new HttpError('unsupported_media_type', `images with ${channels} channels are not supported`);
    return { width: info.width, height: info.height, channels: channels as RawImage['channels'], data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw classify(err);
  }
}

/** Maps sharp/libvips failures to client errors: whatever fails while decoding a client's bytes is the bytes' fault. */
function classify(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(message)) return new HttpError('unsupported_media_type', 'the body is not an image in a supported format (PNG, JPEG, WebP, GIF, AVIF, TIFF)');
  if (/pixel limit/i.test(message)) return new HttpError('image_too_large', 'the image has more pixels than this server decodes; send a smaller image');
  // libvips messages can name internal buffers; keep only the first line, without paths.
  const first = message.split('\n')[0]!.replace(/\/[^\s:]+/g, '').slice(0, 200);
  return new HttpError('corrupt_image', `the image could not be decoded (corrupt or truncated): ${first}`);
}
