import type { RgbImage } from './types.ts';

/** sRGB 0..255 to linear light 0..1. */
function linear(c: number): number {
  const x = c / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (841 / 108) * t + 4 / 29;
}

/**
 * CIELAB (D65) of an sRGB image, scaled by 2.55 so that L spans 0..255 like
 * the RGB values it replaces, with L further multiplied by `lightnessWeight`.
 * Distances in it follow perceived colour difference, where RGB distances are
 * dominated by brightness: an olive shirt on a greenish floor or a dark red
 * one on brown wood differ in hue more than in RGB. A weight under 1 lets
 * shading (a fold, a shadow) count for less than a change of colour.
 */
export function toLab(img: RgbImage, lightnessWeight = 1): RgbImage {
  const { width, height, data } = img;
  const out = new Float32Array(data.length);
  for (let p = 0; p < width * height; p++) {
    const r = linear(data[p * 3]!);
    const g = linear(data[p * 3 + 1]!);
    const b = linear(data[p * 3 + 2]!);
    const fx = labF((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
    const fy = labF(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const fz = labF((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
    out[p * 3] = 2.55 * lightnessWeight * (116 * fy - 16);
    out[p * 3 + 1] = 2.55 * 500 * (fx - fy);
    out[p * 3 + 2] = 2.55 * 200 * (fy - fz);
  }
  return { width, height, data: out };
}
