import { cividis, IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH } from '@fmnist/core';
import { encodeRgbPng } from './png.ts';

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
