import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSplit, resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import { BROWSER_WEIGHTS, browserModels, INT8_MAX_DROP_POINTS, manifestOf } from '../build/browser-models.ts';
import { variantAccuracy } from '../scripts/variant-accuracy.ts';

const modelsDir = resolveModelsDir();

describe('browserModels', () => {
  it('picks the int8 file where asked and present, float32 otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-browser-models-'));
    try {
      // Empty files are valid (empty) ONNX ModelProtos: no metadata, so no calibration.
      for (const f of ['cnn.onnx', 'cnn.int8.onnx', 'mlp.onnx']) await writeFile(join(dir, f), '');
      await writeFile(join(dir, 'notes.txt'), 'not a model');
      expect(browserModels(dir)).toEqual([
        { name: 'cnn', source: join(dir, 'cnn.int8.onnx'), file: 'cnn.int8.onnx', weights: 'int8' },
        { name: 'mlp', source: join(dir, 'mlp.onnx'), file: 'mlp.onnx', weights: 'float32' },
      ]);
      expect(manifestOf(browserModels(dir))).toEqual({ cnn: { file: 'cnn.int8.onnx', weights: 'int8' }, mlp: { file: 'mlp.onnx', weights: 'float32' } });
      expect(browserModels(join(dir, 'absent'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The browser's int8 choice holds only while int8 stays within INT8_MAX_DROP_POINTS of float32 on the whole test set. */
const int8Models = Object.entries(BROWSER_WEIGHTS)
  .filter(([, w]) => w === 'int8')
  .map(([name]) => name);
// The int8 files ship beside the float32 ones: missing, this fails rather than skips.
requireModelFiles(
  modelsDir,
  int8Models.flatMap((m) => [`${m}.onnx`, `${m}.int8.onnx`]),
);
const dataDir = testDataDir();

describe.skipIf(!dataDir)('int8 weights the browser loads', () => {
  it.each(int8Models)(`%s: int8 test accuracy within ${INT8_MAX_DROP_POINTS} points of float32`, async (name) => {
    const r = await variantAccuracy(modelsDir, name, await loadSplit(dataDir!, 'test', { verify: false }));
    console.log(`${name}: float32 ${r.float32.toFixed(2)}%, int8 ${r.int8.toFixed(2)}%, agreement ${r.agreement}/${r.count}`);
    expect(r.count).toBe(10_000);
    expect(r.changePoints).toBeGreaterThanOrEqual(-INT8_MAX_DROP_POINTS);
    // Sanity: the int8 file is a quantised copy of the same model, not another one.
    expect(r.agreement / r.count).toBeGreaterThan(0.98);
  });
});
