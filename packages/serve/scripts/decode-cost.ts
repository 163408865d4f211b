/**
 * What one image costs to decode and preprocess, by format and shape, as the
 * server does it (decodeImage + core's preprocessImage, one libvips thread):
 * the measurements behind the default decode budgets in src/limits.ts.
 * Usage: node --import tsx packages/serve/scripts/decode-cost.ts
 */
import sharp from 'sharp';
import { preprocessImage } from '@fmnist/core';
import type { DecodeBudget } from '../src/decode-budget.ts';
import { decodeImage } from '../src/decode.ts';

const unlimited: DecodeBudget = {
  maxPixels: 1e9,
  maxPixelsAvif: 1e9,
  maxPixelsWebp: 1e9,
  maxSide: 1e7,
  maxAspect: 1e7,
  maxPixelsExtreme: 1e9,
  maxPngChunks: 1e9,
};

async function make(format: 'jpeg' | 'png' | 'webp' | 'avif', width: number, height: number, noise: boolean): Promise<Buffer> {
  const img = noise
    ? sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    : sharp({ create: { width, height, channels: 3, background: '#808080' } });
  const f = img[format]({ ...(format === 'avif' ? { effort: 0 } : {}), ...(format === 'png' ? { compressionLevel: 9 } : {}) });
  return f.toBuffer();
}

const cases: [string, 'jpeg' | 'png' | 'webp' | 'avif', number, number, boolean][] = [
  ['JPEG 12 MP photo-like', 'jpeg', 4000, 3000, true],
  ['JPEG 50 MP photo-like', 'jpeg', 8160, 6120, true],
  ['JPEG 50 MP flat', 'jpeg', 8160, 6120, false],
  ['PNG 50 MP flat', 'png', 8160, 6120, false],
  ['WebP 16383x3000 flat', 'webp', 16383, 3000, false],
  ['AVIF 4 MP flat', 'avif', 2000, 2000, false],
  ['AVIF 12 MP flat', 'avif', 4000, 3000, false],
  ['AVIF 49 MP flat', 'avif', 7000, 7000, false],
  ['PNG 10x1,000,000 flat', 'png', 10, 1_000_000, false],
  ['PNG 100x100,000 flat', 'png', 100, 100_000, false],
  ['PNG 1000x20,000 flat', 'png', 1000, 20_000, false],
];
console.log(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, node ${process.version}`);
for (const [name, format, w, h, noise] of cases) {
  let bytes: Buffer;
  try {
    bytes = await make(format, w, h, noise);
  } catch (err) {
    console.log(`${name}: cannot encode (${(err as Error).message.split('\n')[0]})`);
    continue;
  }
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  try {
    const raw = await decodeImage(bytes, unlimited);
    const t1 = performance.now();
    preprocessImage(raw);
    const t2 = performance.now();
    console.log(
      `${name.padEnd(26)} ${String(bytes.length).padStart(9)} B: decode ${(t1 - t0).toFixed(0)} ms + preprocess ${(t2 - t1).toFixed(0)} ms; RSS +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MB`,
    );
  } catch (err) {
    console.log(`${name}: ${(err as Error).message.slice(0, 120)}`);
  }
}
