/**
 * The validation grid that chose segmentation's two knobs (core's
 * SEGMENT_TUNING): every photo of a validation set preprocessed with each
 * Otsu scale x part share, and each model's accept-top1 on the result.
 * Validation only: photo fold 0 for models tuned on the other folds, or
 * every labelled photo (`--all`) for models that never saw a photo.
 *   pnpm --filter @fmnist/train exec tsx scripts/segmentation-grid.ts --models ../../models/resnet-photo,../../models/cnn-photo [--fold 0 | --all] [--scales 0.8,0.9,1 --shares 1,0.2,0 --spaces rgb,lab:1,lab:0.5] (share 1: the main piece alone) [--photos DIR]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IMAGE_PIXELS, NUM_CLASSES, argmaxRows, bytesToInput, photographerFolds, photoMetrics, preprocessImage, type SegmentTuning } from '@fmnist/core';
import { readPhotoSet, resolvePhotoDir, userPath } from '@fmnist/core/node';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { predictInputs } from '../src/model/evaluate.ts';
import { decodePhoto } from '../src/photos/decode.ts';

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    fold: { type: 'string', default: '0' },
    all: { type: 'boolean', default: false },
    scales: { type: 'string', default: '0.5,0.6,0.7,0.8,0.9,1' },
    shares: { type: 'string', default: '1,0.2,0' },
    // Colour spaces: rgb, and lab:W for CIELAB with lightness weight W.
    spaces: { type: 'string', default: 'rgb,lab:1,lab:0.5' },
    // Noise floors of the colour distance (18 was the sRGB constant before session 13).
    floors: { type: 'string', default: '12' },
    photos: { type: 'string' },
  },
});
if (!values.models) throw new Error('usage: segmentation-grid.ts --models DIR[,DIR] [--fold 0 | --all] [--scales ...] [--shares ...]');
const numbers = (list: string) => list.split(',').map(Number);
const spaces = values.spaces.split(',').map((space): Pick<SegmentTuning, 'colourSpace' | 'lightnessWeight'> => {
  const [name, weight] = space.split(':');
  if (name === 'rgb') return { colourSpace: 'rgb', lightnessWeight: 1 };
  if (name === 'lab' && Number(weight) > 0) return { colourSpace: 'lab', lightnessWeight: Number(weight) };
  throw new Error(`--spaces ${space}: use rgb or lab:W (W > 0, the lightness weight)`);
});
const grid: SegmentTuning[] = spaces.flatMap((space) =>
  numbers(values.floors).flatMap((noiseFloor) =>
    numbers(values.scales).flatMap((otsuScale) => numbers(values.shares).map((partShare) => ({ ...space, noiseFloor, otsuScale, partShare }))),
  ),
);

const set = await readPhotoSet(values.photos ? userPath(values.photos) : resolvePhotoDir());
const foldOf = photographerFolds(set.entries, 5, 42);
const picked = [...foldOf.keys()].filter((i) => set.entries[i]!.accept.length > 0 && (values.all || foldOf[i] === Number(values.fold)));
const entries = picked.map((i) => set.entries[i]!);

// Each photo is decoded once and preprocessed with every setting.
const inputs = grid.map(() => new Float32Array(picked.length * IMAGE_PIXELS));
for (const [k, i] of picked.entries()) {
  const raw = await decodePhoto(new Uint8Array(await readFile(join(set.dir, set.entries[i]!.file))));
  grid.forEach((segmentTuning, g) => {
    bytesToInput(preprocessImage(raw, { segmentTuning }).pixels, inputs[g]!.subarray(k * IMAGE_PIXELS, (k + 1) * IMAGE_PIXELS));
  });
}

await selectBackend('wasm');
const labels = ['T-Shirt', 'Pants', 'Dress', 'Outwear', 'Shirt', 'Shoes'];
console.log(`${picked.length} labelled photos (${values.all ? 'all folds' : `fold ${values.fold} of 5, split seed 42`})\n`);
console.log(`| model | colour space | noise floor | Otsu scale | part share | accept-top1 | strict top-1 | ${labels.join(' | ')} |`);
console.log(`|---|---|---:|---:|---:|---:|---:|${labels.map(() => '---:|').join('')}`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
for (const dir of values.models.split(',')) {
  const model = await loadLayersModel(userPath(dir));
  grid.forEach((t, g) => {
    const m = photoMetrics(entries, argmaxRows(predictInputs(model, inputs[g]!, picked.length), NUM_CLASSES));
    const per = labels.map((l) => (m.bySourceLabel[l] ? pct(m.bySourceLabel[l].acceptTop1) : '-'));
    console.log(
      `| ${dir} | ${t.colourSpace === 'lab' ? `CIELAB, lightness x${t.lightnessWeight}` : 'sRGB'} | ${t.noiseFloor} | ${t.otsuScale} | ${t.partShare} | ${pct(m.acceptTop1)} | ${pct(m.strictTop1)} | ${per.join(' | ')} |`,
    );
  });
  model.dispose();
}
