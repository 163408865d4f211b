import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeRgbPng } from './png.ts';

const random = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (Math.imul(i + 1, 2654435761) >>> (seed % 24)) & 255);

/** The concatenated IDAT payloads of a PNG: the zlib stream. */
function idat(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const length = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') parts.push(png.subarray(o + 8, o + 8 + length));
    o += 12 + length;
  }
  return Buffer.concat(parts);
}

describe('encodeRgbPng', () => {
  // 28x28 fits one stored block; 200x150 RGB (90,150 bytes of scanlines) needs two.
  it.each([
    [28, 28],
    [200, 150],
    [1, 1],
  ])('writes a %ix%i PNG that a decoder reads back pixel for pixel, its zlib stream checked by zlib itself', (width, height) => {
    const rgb = random(width * height * 3, width);
    const png = encodeRgbPng(rgb, width, height);
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([width, height]);
    for (let i = 0; i < width * height; i++) {
      expect([decoded.data[i * 4], decoded.data[i * 4 + 1], decoded.data[i * 4 + 2], decoded.data[i * 4 + 3]]).toEqual([
        rgb[i * 3],
        rgb[i * 3 + 1],
        rgb[i * 3 + 2],
        255,
      ]);
    }
    // inflateSync verifies the Adler-32 at the stream's end and throws on a wrong one.
    expect(inflateSync(idat(png))).toHaveLength(height * (width * 3 + 1));
  });

  it('refuses pixels that do not match the size', () => {
    expect(() => encodeRgbPng(new Uint8Array(10), 2, 2)).toThrow(/2x2 RGB is 12 bytes, got 10/);
  });
});
