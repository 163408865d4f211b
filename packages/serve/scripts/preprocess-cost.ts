/**
 * What core's photo preprocessing (preprocessImage: shrink, segmentation,
 * 28x28) costs per photo, apart from decoding: the sample photos and the
 * 1000x1000 noise JPEG that bench-compare and bench:abuse send (no garment to
 * find, so segmentation's slowest path), each decoded once as the server
 * decodes it, then timed over --reps passes after one to warm up.
 * --core DIR times another checkout's preprocessing (its packages/core/src) on the same pixels, to tell
 * a preprocessing change's cost from the server's.
 * Usage: node --import tsx packages/serve/scripts/preprocess-cost.ts [--core DIR --reps 5 --photos DIR]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RawImage } from '@fmnist/core';
import { resolveSamplePhotoDir } from '@fmnist/core/node';
import { decodeImage } from '../src/decode.ts';
import { photoJpeg } from '../test/attacks.ts';

const { values } = parseArgs({ options: { core: { type: 'string' }, reps: { type: 'string', default: '5' }, photos: { type: 'string' } } });
type Preprocess = (img: RawImage) => { report: { fallback: boolean } };
const core = (
  values.core ? await import(pathToFileURL(join(resolve(values.core), 'packages', 'core', 'src', 'index.ts')).href) : await import('@fmnist/core')
) as { preprocessImage: Preprocess };
const reps = Number(values.reps);

async function cost(name: string, images: RawImage[]): Promise<void> {
  for (const img of images) core.preprocessImage(img);
  const times: number[] = [];
  let fallbacks = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const img of images) {
      const t = performance.now();
      const { report } = core.preprocessImage(img);
      times.push(performance.now() - t);
      if (rep === 0 && report.fallback) fallbacks++;
    }
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const mp = images.reduce((a, i) => a + i.width * i.height, 0) / images.length / 1e6;
  console.log(
    `${name}: ${images.length} image(s), mean ${mp.toFixed(2)} MP; preprocessImage mean ${mean.toFixed(2)} ms, median ${times[times.length >> 1]!.toFixed(2)} ms; segmentation fell back to the trim on ${fallbacks}`,
  );
}

const dir = values.photos ?? resolveSamplePhotoDir();
const files = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp|avif|heic)$/i.test(f)).sort();
console.log(`preprocessing of ${values.core ?? 'this checkout'}; ${reps} passes`);
await cost(`photos in ${dir}`, await Promise.all(files.map(async (f) => decodeImage(await readFile(join(dir, f))))));
await cost('1000x1000 noise JPEG (bench-compare, bench:abuse case 4)', [await decodeImage(await photoJpeg(1000))]);
