/**
 * A trained model's accuracy on one fold of the photographer-grouped photo
 * split, the same folds photo-cv.ts uses (5 folds, split seed 42): for a
 * Fashion-MNIST model shipped without photo tuning, the figure its row in
 * the README shows beside the photo-tuned ones.
 *   pnpm --filter @fmnist/train exec tsx scripts/photo-fold-accuracy.ts --model ../../models/resnet [--fold 0 --folds 5 --split-seed 42 --photos DIR] [--json FILE]
 * --json writes the figures beside the model (models/resnet/photo-fold0.json), where the doc test reads them.
 */
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { NUM_CLASSES, argmaxRows, photographerFolds, photoMetrics } from '@fmnist/core';
import { readPhotoSet, repoRoot, resolvePhotoDir, userPath } from '@fmnist/core/node';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { predictInputs } from '../src/model/evaluate.ts';
import { loadCachedPhotos, resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { photoInputs } from '../src/photos/photo-data.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    fold: { type: 'string', default: '0' },
    folds: { type: 'string', default: '5' },
    'split-seed': { type: 'string', default: '42' },
    photos: { type: 'string' },
    json: { type: 'string' },
  },
});
if (!values.model) throw new Error('usage: photo-fold-accuracy.ts --model RUN_DIR [--fold 0 --folds 5 --split-seed 42 --photos DIR]');
const fold = Number(values.fold);
const set = await readPhotoSet(values.photos ? userPath(values.photos) : resolvePhotoDir());
const foldOf = photographerFolds(set.entries, Number(values.folds), Number(values['split-seed']));
const picked = [...foldOf.keys()].filter((i) => foldOf[i] === fold);
if (picked.length === 0) throw new Error(`fold ${fold} is empty: there are ${values.folds} folds, numbered from 0`);

await selectBackend('wasm');
const { photos } = await loadCachedPhotos(set, { cacheDir: resolvePhotoCacheDir() });
const predicted = argmaxRows(predictInputs(await loadLayersModel(userPath(values.model)), photoInputs(photos, picked), picked.length), NUM_CLASSES);
const m = photoMetrics(
  picked.map((i) => set.entries[i]!),
  predicted,
);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
console.log(
  `${values.model} on photo fold ${fold} of ${values.folds} (split seed ${values['split-seed']}, ${picked.length} photos): accept-top1 ${pct(m.acceptTop1)}, strict top-1 ${pct(m.strictTop1)}`,
);
if (values.json) {
  const figures = {
    model: values.model,
    fold,
    folds: Number(values.folds),
    splitSeed: Number(values['split-seed']),
    photos: picked.length,
    acceptTop1: m.acceptTop1,
    strictTop1: m.strictTop1,
  };
  await writeFile(userPath(values.json), `${JSON.stringify(figures, null, 2)}\n`);
}
