import { imageSize } from 'image-size';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE, planDecode } from './decode-budget.ts';
import { HttpError } from './errors.ts';
import { avifClaiming, jpegClaiming, pngClaiming, pngWithEmptyChunks } from '../test/attacks.ts';

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof HttpError) return `${err.status} ${err.code}`;
    throw err;
  }
  return 'accepted';
};

describe('planDecode: the decode budget, from the header', () => {
  it('accepts the largest phone photos and prices them in JPEG-equivalent pixels', async () => {
    expect(planDecode(await jpegClaiming(8160, 6120), DEFAULT_DECODE)).toMatchObject({ format: 'jpeg', width: 8160, height: 6120, cost: 8160 * 6120 });
    // A 12 MP AVIF costs as much as a 50 MP JPEG: its cap is a quarter as many pixels.
    expect(planDecode(await avifClaiming(4000, 3000), DEFAULT_DECODE).cost).toBeCloseTo(50e6);
    expect(planDecode(pngClaiming(28, 28), DEFAULT_DECODE)).toMatchObject({ format: 'png', chunks: 3, cost: 784 });
  });

  it('refuses by format cap, longest side, elongation and PNG chunk count', async () => {
    expect(refusal(() => planDecode(pngClaiming(8000, 7000), DEFAULT_DECODE))).toBe('422 image_too_large');
    await expect((async () => planDecode(await avifClaiming(4000, 4000), DEFAULT_DECODE))()).rejects.toThrow(/AVIF\/HEIF images up to 12 MP/);
    expect(refusal(() => planDecode(pngClaiming(20_001, 10), DEFAULT_DECODE))).toBe('422 image_too_large');
    expect(refusal(() => planDecode(pngClaiming(9000, 1000), DEFAULT_DECODE))).toBe('422 image_too_large'); // 9 MP at 9:1
    expect(refusal(() => planDecode(pngClaiming(8000, 1000), DEFAULT_DECODE))).toBe('accepted'); // 8 MP at 8:1
    expect(refusal(() => planDecode(pngWithEmptyChunks(10_001), DEFAULT_DECODE))).toBe('422 image_too_large');
    expect(refusal(() => planDecode(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), DEFAULT_DECODE))).toBe('415 unsupported_media_type');
    expect(refusal(() => planDecode(Uint8Array.from(pngClaiming(28, 28).subarray(0, 20)), DEFAULT_DECODE))).toBe('422 corrupt_image');
  });

  it("reads a PNG's size from its IHDR as image-size does, and leaves other layouts to image-size", async () => {
    for (const [w, h] of [
      [28, 28],
      [1, 20_000],
      [4032, 3024],
    ] as const) {
      const png = await sharp({ create: { width: w, height: h, channels: 3, background: '#000' } })
        .png({ compressionLevel: 1 })
        .toBuffer();
      const plan = planDecode(png, DEFAULT_DECODE);
      expect([plan.width, plan.height]).toEqual([w, h]);
      expect(imageSize(png)).toMatchObject({ width: w, height: h });
    }
    // Apple's CgBI PNGs put a CgBI chunk before IHDR: image-size knows that layout.
    const plain = pngClaiming(300, 200);
    const cgbi = new Uint8Array(plain.length + 16);
    cgbi.set(plain.subarray(0, 8));
    cgbi.set([0, 0, 0, 4, 0x43, 0x67, 0x42, 0x49, 0x50, 0, 0x20, 6, 0, 0, 0, 0], 8);
    cgbi.set(plain.subarray(8), 24);
    expect(planDecode(cgbi, DEFAULT_DECODE)).toMatchObject({ width: 300, height: 200 });
  });
});
