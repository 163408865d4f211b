import { userPath, requireRunMetrics, requireRunHistory } from '@fmnist/core/node';
import type { Recipe } from '../src/recipe.ts';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { resolvePhotoCacheDir } from '../src/photos/cache.ts';
import { loadPhotoData } from '../src/photos/load-photos.ts';
import { photoRunFigures } from '../src/photos/photo-report.ts';
import { writeRunReport } from '../src/report/run-report.ts';

const arg = process.argv[2];
if (!arg) throw new Error('usage: recalibrate RUN_DIR');
const dir = userPath(arg);
const metrics = await requireRunMetrics<Recipe>(dir);
const history = await requireRunHistory(dir);
if (!metrics.recipe.photos) throw new Error(`${dir} is not a photo run`);
await selectBackend('wasm');
const data = await loadPhotoData(metrics.recipe.photos, resolvePhotoCacheDir());
const before = metrics.photos?.calibration;
metrics.photos = photoRunFigures(await loadLayersModel(dir), data, metrics.recipe.photos);
await writeRunReport(dir, metrics, history);
const c = metrics.photos.calibration;
console.log(
  `${dir}: accept-top1 ${(100 * metrics.photos.validation.acceptTop1).toFixed(2)}%; temperature ${before?.temperature.toFixed(3) ?? '-'} -> ${c.temperature.toFixed(3)}, ECE ${c.eceBefore.toFixed(3)} -> ${c.eceAfter.toFixed(3)} (cross-fitted ${c.eceCrossFitted?.toFixed(3)}), uncertain under ${c.uncertainThreshold}`,
);
