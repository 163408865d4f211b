import { cividis, IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH } from '@fmnist/core';
import { encodeRgbPng } from './png.ts';

/** Strongest opacity of the map over the input: the input stays visible under the hottest pixel. */
const MAX_ALPHA = 0.75;

/**
 * Every blend the overlay can draw, for each of the map's 256 steps (8-bit
 * output cannot show finer ones) and each input gray: RGB at
 * ((step << 8) | gray) * 3. 196 kB, once, against three multiply-and-rounds
 * per pixel channel on every explained image.
 */
const BLEND = (() => {
  const table = new Uint8Array(256 * 256 * 3);
  for (let step = 0; step < 256; step++) {
    const colour = cividis(step / 255);
    const alpha = (MAX_ALPHA * step) / 255;
    for (let gray = 0; gray < 256; gray++) {
      for (let c = 0; c < 3; c++) table[((step << 8) | gray) * 3 + c] = Math.round(gray * (1 - alpha) + colour[c]! * alpha);
    }
  }
  return table;
})();

/**
 * The 28x28 input in gray with the heatmap blended over it, as a PNG data
 * URL: opacity grows with the heat, so a cold pixel shows the input as the
 * model saw it.
 */
export function overlayDataUrl(pixels: Uint8Array, heatmap: Float32Array): string {
  if (pixels.length !== IMAGE_PIXELS || heatmap.length !== IMAGE_PIXELS) throw new RangeError(`the input and the map are ${IMAGE_PIXELS} values each`);
  const rgb = new Uint8Array(IMAGE_PIXELS * 3);
  for (let i = 0; i < IMAGE_PIXELS; i++) {
    const heat = heatmap[i]!;
    // NaN lands on step 0 (the input alone), as out-of-range values land on the nearest end.
    const step = heat > 0 ? (heat < 1 ? Math.round(heat * 255) : 255) : 0;
    const at = ((step << 8) | pixels[i]!) * 3;
    rgb[i * 3] = BLEND[at]!;
    rgb[i * 3 + 1] = BLEND[at + 1]!;
    rgb[i * 3 + 2] = BLEND[at + 2]!;
  }
  return `data:image/png;base64,${encodeRgbPng(rgb, IMAGE_WIDTH, IMAGE_HEIGHT).toString('base64')}`;
}
