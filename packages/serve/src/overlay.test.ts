import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cividis, IMAGE_PIXELS } from '@fmnist/core';
import { overlayDataUrl } from './overlay.ts';

function decode(url: string): Uint8Array {
  expect(url.startsWith('data:image/png;base64,')).toBe(true);
  return PNG.sync.read(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64')).data;
}

/** The blend as the overlay defines it, computed per pixel: the heat in 256 steps, opacity up to 0.75. */
function expected(gray: number, heat: number): number[] {
  const step = Math.round(Math.min(1, Math.max(0, Number.isNaN(heat) ? 0 : heat)) * 255);
  const alpha = (0.75 * step) / 255;
  return cividis(step / 255).map((c) => Math.round(gray * (1 - alpha) + c * alpha));
}

describe('overlayDataUrl', () => {
  it('blends the map over the gray input, pixel by pixel, and clamps heat outside [0, 1]', () => {
    const pixels = Uint8Array.from({ length: IMAGE_PIXELS }, (_, i) => (i * 37) % 256);
    const heatmap = Float32Array.from({ length: IMAGE_PIXELS }, (_, i) => ((i * 7919) % 1000) / 999);
    heatmap.set([0, 1, -0.5, 1.5, Number.NaN, 0.5 / 255, 1e-9], 0);
    const rgba = decode(overlayDataUrl(pixels, heatmap));
    for (let i = 0; i < IMAGE_PIXELS; i++) expect([rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]], `pixel ${i}`).toEqual(expected(pixels[i]!, heatmap[i]!));
    // Cold pixels show the input itself; the hottest is coloured but keeps a quarter of the input.
    expect([rgba[0], rgba[1], rgba[2]]).toEqual([0, 0, 0]);
    expect(rgba.subarray(4, 7)).not.toEqual(Uint8Array.of(pixels[1]!, pixels[1]!, pixels[1]!));
  });

  it('refuses an input or a map that is not 28x28', () => {
    expect(() => overlayDataUrl(new Uint8Array(10), new Float32Array(IMAGE_PIXELS))).toThrow(RangeError);
    expect(() => overlayDataUrl(new Uint8Array(IMAGE_PIXELS), new Float32Array(10))).toThrow(RangeError);
  });
});
