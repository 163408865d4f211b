import type { GrayImage, RawImage, RgbImage } from './types.ts';

/**
 * Step 1: flatten transparency onto white and widen to float RGB.
 * White, because the catalogue photos Fashion-MNIST came from were shot on
 * white; a transparent PNG cut-out then behaves like one of them.
 */
export function flattenOnWhite(img: RawImage): RgbImage {
  const { width, height, channels, data } = img;
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width}x${height} is not a positive integer size`);
  }
  if (data.length !== n * channels) throw new RangeError(`${width}x${height}x${channels} needs ${n * channels} bytes, got ${data.length}`);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    const s = i * channels;
    if (channels <= 2) {
      r = g = b = data[s]!;
      if (channels === 2) a = data[s + 1]!;
    } else {
      r = data[s]!;
      g = data[s + 1]!;
      b = data[s + 2]!;
      if (channels === 4) a = data[s + 3]!;
    }
    const t = a / 255;
    const w = 255 * (1 - t);
    out[i * 3] = r * t + w;
    out[i * 3 + 1] = g * t + w;
    out[i * 3 + 2] = b * t + w;
  }
  return { width, height, data: out };
}

/** ITU-R BT.601 luma, the weights libvips and browsers use for sRGB to gray. */
export function luminance(img: RgbImage): GrayImage {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[i * 3]! + 0.587 * d[i * 3 + 1]! + 0.114 * d[i * 3 + 2]!;
  return { width: img.width, height: img.height, data: out };
}
