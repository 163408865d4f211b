import { imageSize } from 'image-size';
import { MAX_IMAGE_PIXELS, SERVER_FORMATS_TEXT, sniffServerImage, type ServerImageFormat } from '@fmnist/core';
import { HttpError } from './errors.ts';

/**
 * What one image may cost to decode, decided from its header before any
 * pixel is decoded: a decode already running in libvips cannot be
 * interrupted, so the budget has to be enforced before it starts.
 * Measured costs (scripts/decode-cost.ts, docs/benchmarks.md): decode plus
 * preprocessing takes about 25 ms per megapixel for JPEG and PNG, 60 for
 * WebP, 120-150 for AVIF, and over 150 for strips like 10x1,000,000, where
 * per-row overheads dominate. The caps below keep each image near the cost
 * of a 50 MP JPEG (about 1.3 s of one core), the largest phone photo.
 */
export interface DecodeBudget {
  /** Pixel cap for JPEG, PNG, GIF and TIFF. */
  maxPixels: number;
  /** Pixel cap for AVIF/HEIF, about 5 times as costly per pixel. */
  maxPixelsAvif: number;
  /** Pixel cap for WebP, about twice as costly per pixel. */
  maxPixelsWebp: number;
  /** Longest side in pixels, any format. */
  maxSide: number;
  /** Long side / short side beyond which `maxPixelsExtreme` applies. */
  maxAspect: number;
  /** Pixel cap for images more elongated than `maxAspect`. */
  maxPixelsExtreme: number;
  /** Most chunks in a PNG (700,000 empty IDAT chunks cost seconds to walk, whatever the image size). */
  maxPngChunks: number;
}

export const DEFAULT_DECODE: DecodeBudget = {
  maxPixels: MAX_IMAGE_PIXELS,
  maxPixelsAvif: 12_000_000,
  maxPixelsWebp: 25_000_000,
  maxSide: 20_000,
  maxAspect: 8,
  maxPixelsExtreme: 4_000_000,
  maxPngChunks: 10_000,
};

/** An image's header, judged: its size and what decoding it will cost. */
export interface ImagePlan {
  format: ServerImageFormat;
  width: number;
  height: number;
  /** Pixel cap that applies to this image (sharp's limitInputPixels backstop). */
  cap: number;
  /** Cost in JPEG-equivalent pixels: pixels scaled so that every cap costs `maxPixels`. */
  cost: number;
  /** PNG chunks counted (0 for other formats). */
  chunks: number;
}

/** Reads the header and applies the budget; throws 415/422 HttpErrors naming the limit. */
export function planDecode(bytes: Uint8Array, budget: DecodeBudget): ImagePlan {
  if (bytes.length === 0) throw new HttpError('empty_body', 'the image is empty');
  const format = sniffServerImage(bytes);
  if (!format) throw new HttpError('unsupported_media_type', `the body is not an image in a supported format (${SERVER_FORMATS_TEXT})`);
  let { width, height } = format === 'png' ? pngHeaderSize(bytes) : {};
  if (width === undefined)
    try {
      const size = imageSize(bytes);
      // JPEG EXIF orientation may swap the sides; the pixel count and aspect ratio do not change.
      width = size.width;
      height = size.height;
    } catch {
      // Fall through: unreadable dimensions are judged below.
    }
  if (!width || !height) throw new HttpError('corrupt_image', `the ${format.toUpperCase()} header is corrupt or truncated: its dimensions cannot be read`);
  const chunks = format === 'png' ? countPngChunks(bytes, budget.maxPngChunks) : 0;
  const pixels = width * height;
  const long = Math.max(width, height);
  const aspect = long / Math.min(width, height);
  const formatCap = format === 'avif' ? budget.maxPixelsAvif : format === 'webp' ? budget.maxPixelsWebp : budget.maxPixels;
  const cap = aspect > budget.maxAspect ? Math.min(formatCap, budget.maxPixelsExtreme) : formatCap;
  const size = `${width}x${height}`;
  if (long > budget.maxSide)
    throw new HttpError('image_too_large', `the image is ${size}; this server decodes images up to ${budget.maxSide} pixels a side: send a smaller image`);
  if (pixels > cap) {
    const why =
      aspect > budget.maxAspect ? `images more elongated than ${budget.maxAspect}:1` : `${format === 'avif' ? 'AVIF/HEIF' : format.toUpperCase()} images`;
    throw new HttpError('image_too_large', `the image is ${size} (${mp(pixels)} MP); this server decodes ${why} up to ${mp(cap)} MP: send a smaller image`);
  }
  return { format, width, height, cap, cost: pixels * (budget.maxPixels / cap), chunks };
}

/**
 * A standard PNG's size from its IHDR, the first chunk (what image-size
 * reads too, without its generic dispatch: a few microseconds that a 28x28
 * upload notices). Anything else (Apple's CgBI variant) is left to image-size.
 */
function pngHeaderSize(bytes: Uint8Array): { width?: number; height?: number } {
  if (bytes.length < 24 || bytes[12] !== 0x49 || bytes[13] !== 0x48 || bytes[14] !== 0x44 || bytes[15] !== 0x52) return {}; // 'IHDR'
  const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Walks a PNG's chunk list (lengths only, no data read) up to IEND; refuses
 * more than `max` chunks. A truncated list is left for the decoder to name.
 */
function countPngChunks(bytes: Uint8Array, max: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let chunks = 0;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const isEnd = view.getUint32(offset + 4) === 0x49454e44; // 'IEND'
    if (++chunks > max) throw new HttpError('image_too_large', `the PNG has more than ${max} chunks; re-encode it (encoders write a few dozen)`);
    if (isEnd) break;
    offset += 12 + length;
  }
  return chunks;
}

const mp = (pixels: number) => String(Math.round(pixels / 1e5) / 10);

/**
 * What the first bytes of an upload already prove, before the rest is read:
 * an unsupported format, more PNG chunks than the cap, or dimensions over
 * the caps. Throws those (the rest of the body is then never read, hence
 * `Connection: close`); whatever needs the whole file (a header cut off by
 * the prefix, a corrupt image) is left to planDecode.
 */
export function refuseFromPrefix(prefix: Uint8Array, budget: DecodeBudget): void {
  try {
    planDecode(prefix, budget);
  } catch (err) {
    if (err instanceof HttpError && (err.code === 'image_too_large' || (err.code === 'unsupported_media_type' && prefix.length >= 12))) {
      throw new HttpError(err.code, err.message, { ...err.headers, Connection: 'close' });
    }
  }
}
