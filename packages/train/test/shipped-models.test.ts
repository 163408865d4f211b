import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, repoRoot, type Split } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import { selectBackend } from '../src/backend/select.ts';
import { loadLayersModel } from '../src/model/artifacts.ts';
import { evaluateView } from '../src/model/evaluate.ts';
import { wholeView } from '../src/data/batches.ts';
import { RUN_FILES } from '@fmnist/core';

const dir = testDataDir();
const models = join(repoRoot(), 'models');

describe.skipIf(!dir)('shipped models reach the accuracy their metrics.json records', () => {
  let test: Split;
  beforeAll(async () => {
    await selectBackend('wasm');
    test = await loadSplit(dir!, 'test');
  });

  it.each(['mlp', 'cnn'])('models/%s on all 10,000 test images', async (kind) => {
    const modelDir = join(models, kind);
    expect(existsSync(join(modelDir, RUN_FILES.model)), `${modelDir}/model.json is missing`).toBe(true);
    const recorded = JSON.parse(await readFile(join(modelDir, RUN_FILES.metrics), 'utf8'));
    const model = await loadLayersModel(modelDir);
    const measured = evaluateView(model, wholeView(test));
    expect(measured.count).toBe(10_000);
    expect(recorded.count).toBe(10_000);
    // Same backend, same weights: the same predictions, up to float ties.
    expect(Math.abs(measured.accuracy - recorded.accuracy)).toBeLessThanOrEqual(0.0005);
  });
});
