/**
 * Writes a contact sheet of the 28x28 inputs that preprocessing makes from
 * the sample photos (each photo's 28x28 result scaled up 4x), to eyeball
 * segmentation. Usage: tsx packages/serve/scripts/preview-preprocess.ts [out.png] [photos dir]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSamplePhotoDir } from '@fmnist/core/node';
import sharp from 'sharp';
import { preprocessImage } from '@fmnist/core';
import { decodeImage } from '../src/decode.ts';

const out = process.argv[2] ?? 'preview.png';
const dir = process.argv[3] ?? resolveSamplePhotoDir();
const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as { file: string }[];
const cols = 7;
const cell = 28 * 4;
const rows = Math.ceil(labels.length / cols);
const sheet = new Uint8Array(cols * cell * rows * cell);
for (const [i, { file }] of labels.entries()) {
  const raw = await decodeImage(await readFile(join(dir, file)));
  const { pixels, report } = preprocessImage(raw);
  console.log(file, JSON.stringify(report));
  const cx = (i % cols) * cell;
  const cy = Math.floor(i / cols) * cell;
  for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) sheet[(cy + y) * cols * cell + cx + x] = pixels[Math.floor(y / 4) * 28 + Math.floor(x / 4)]!;
}
await sharp(sheet, { raw: { width: cols * cell, height: rows * cell, channels: 1 } })
  .png()
  .toFile(out);
console.log(`wrote ${out}`);
