import { describe, expect, it } from 'vitest';
import { IMAGE_HEIGHT, IMAGE_WIDTH } from '../contract.ts';
import { preprocessImage } from './pipeline.ts';
import { garmentRegion, inputRect } from './region.ts';
import type { RawImage } from './types.ts';

/** A white photo with one dark rectangle (the garment). */
function photo(w: number, h: number, box: { x: number; y: number; width: number; height: number }): RawImage {
  const data = new Uint8Array(w * h * 3).fill(255);
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) data.set([60, 40, 30], (y * w + x) * 3);
  return { width: w, height: h, channels: 3, data };
}

describe('garmentRegion', () => {
  it.each([
    [900, 600, { x: 300, y: 90, width: 240, height: 420 }],
    [400, 1000, { x: 40, y: 500, width: 300, height: 200 }],
  ])('maps a %ix%i photo garment back to the photo, and its input rectangle holds every garment pixel', (w, h, garment) => {
    const { pixels, report } = preprocessImage(photo(w, h, garment));
    const region = garmentRegion(report, { width: w, height: h });
    expect(region.photoSize).toEqual({ width: w, height: h });
    // Within two working pixels of the drawn rectangle (the working image is 128 px on its long side).
    const slack = (2 * Math.max(w, h)) / 128;
    expect(Math.abs(region.photo.x - garment.x)).toBeLessThanOrEqual(slack);
    expect(Math.abs(region.photo.y - garment.y)).toBeLessThanOrEqual(slack);
    expect(Math.abs(region.photo.width - garment.width)).toBeLessThanOrEqual(slack);
    expect(Math.abs(region.photo.height - garment.height)).toBeLessThanOrEqual(slack);
    const { x, y, width, height } = region.input;
    expect(Math.max(width, height)).toBe(Math.max(IMAGE_WIDTH, IMAGE_HEIGHT));
    let inside = 0;
    for (let py = 0; py < IMAGE_HEIGHT; py++) {
      for (let px = 0; px < IMAGE_WIDTH; px++) {
        const v = pixels[py * IMAGE_WIDTH + px]!;
        if (px >= x && px < x + width && py >= y && py < y + height) inside += v > 0 ? 1 : 0;
        else expect(v).toBe(0);
      }
    }
    expect(inside).toBeGreaterThan(width * height * 0.5);
  });

  it('takes a pass-through 28x28 image as a whole', () => {
    const data = new Uint8Array(IMAGE_WIDTH * IMAGE_HEIGHT);
    data.fill(200, 300, 500);
    const { report } = preprocessImage({ width: 28, height: 28, channels: 1, data });
    expect(report.passthrough).toBe(true);
    expect(garmentRegion(report, { width: 28, height: 28 })).toEqual({
      input: { x: 0, y: 0, width: 28, height: 28 },
      photo: { x: 0, y: 0, width: 28, height: 28 },
      photoSize: { width: 28, height: 28 },
    });
  });

  it('centres a box on the 28x28 canvas by its longest edge', () => {
    expect(inputRect(100, 50)).toEqual({ x: 0, y: 7, width: 28, height: 14 });
    expect(inputRect(30, 60)).toEqual({ x: 7, y: 0, width: 14, height: 28 });
  });
});
