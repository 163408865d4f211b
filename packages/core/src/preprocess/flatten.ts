import type { GrayImage, RawImage, RgbImage } from './types.ts';

/**
 * Step 1: flatten transparency onto white and widen to float RGB.
 * White, because the catalogue photos Fashion-MNIST came from were shot on
 * white; a transparent PNG cut-out then behaves like one of them.
 */
export function flattenOnWhite(img: RawImage): RgbImage {
  checkRaw(img);
  const { width, height } = img;
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const dst = out.subarray(y * width * 3, (y + 1) * width * 3);
    const row = flattenRowOnWhite(img, y, dst);
    if (row !== dst) dst.set(row);
  }
  return { width, height, data: out };
}

/**
 * Step 1 for one row `y`: its width * 3 RGB values on white, written into
 * `out`, except for opaque RGB (JPEG photos), whose bytes are returned as
 * they are. Large photos are flattened row by row while they shrink.
 */
export function flattenRowOnWhite(img: RawImage, y: number, out: Float32Array): ArrayLike<number> {
  const { width, channels, data } = img;
  const base = y * width * channels;
  if (channels === 3) return data.subarray(base, base + width * 3);
  for (let x = 0; x < width; x++) {
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    const s = base + x * channels;
    if (channels <= 2) {
      r = g = b = data[s]!;
      if (channels === 2) a = data[s + 1]!;
    } else {
      r = data[s]!;
      g = data[s + 1]!;
      b = data[s + 2]!;
      a = data[s + 3]!;
    }
    const t = a / 255;
    const w = 255 * (1 - t);
    out[x * 3] = r * t + w;
    out[x * 3 + 1] = g * t + w;
    out[x * 3 + 2] = b * t + w;
  }
  return out;
}

/** A RawImage whose buffer does not match its stated size is a caller's bug: fail loudly. */
export function checkRaw(img: RawImage): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width}x${height} is not a positive integer size`);
  }
  if (data.length !== width * height * channels)
    throw new RangeError(`${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
}

/** ITU-R BT.601 luma, the weights libvips and browsers use for sRGB to gray. */
export function luminance(img: RgbImage): GrayImage {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[i * 3]! + 0.587 * d[i * 3 + 1]! + 0.114 * d[i * 3 + 2]!;
  return { width: img.width, height: img.height, data: out };
}
