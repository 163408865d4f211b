import { IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH } from '@fmnist/core';
import { encodeRgbPng } from './png.ts';

/**
 * Anchors of the cividis colour map (Nuñez, Anderton & Renslow 2018):
 * blue to yellow, designed to read the same for the common colour-vision
 * deficiencies, with lightness rising monotonically (so it also reads in gray).
 */
const CIVIDIS: readonly (readonly [number, number, number])[] = [
  [0, 32, 77],
  [65, 77, 107],
  [124, 123, 120],
  [188, 175, 111],
  [255, 234, 70],
];

/** A heat value in [0, 1] as an RGB colour of the map (linear between anchors). */
export function cividis(value: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, value)) * (CIVIDIS.length - 1);
  const i = Math.min(CIVIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [CIVIDIS[i]!, CIVIDIS[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

/** The map in 256 steps: 8-bit output cannot show finer ones. */
const LUT = Array.from({ length: 256 }, (_, i) => cividis(i / 255));

/** Strongest opacity of the map over the input: the input stays visible under the hottest pixel. */
const MAX_ALPHA = 0.75;

/**
 * The 28x28 input in gray with the heatmap blended over it, as a PNG data
 * URL: opacity grows with the heat, so a cold pixel shows the input as the
 * model saw it.
 */
export function overlayDataUrl(pixels: Uint8Array, heatmap: Float32Array): string {
  if (pixels.length !== IMAGE_PIXELS || heatmap.length !== IMAGE_PIXELS) throw new RangeError(`the input and the map are ${IMAGE_PIXELS} values each`);
  const rgb = new Uint8Array(IMAGE_PIXELS * 3);
  for (let i = 0; i < IMAGE_PIXELS; i++) {
    const step = Math.round(Math.min(1, Math.max(0, heatmap[i]!)) * 255);
    const alpha = (MAX_ALPHA * step) / 255;
    const colour = LUT[step]!;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(pixels[i]! * (1 - alpha) + colour[c]! * alpha);
  }
  return `data:image/png;base64,${encodeRgbPng(rgb, IMAGE_WIDTH, IMAGE_HEIGHT).toString('base64')}`;
}
