import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { loadSplit } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import { browserFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';
import { demoScenario } from './support/scenario.ts';

const dataDir = testDataDir();
let modelsDir: string | undefined;

/** The page in Chromium with small fixture models: runs before (and independently of) the exported models. */
describe.skipIf(!dataDir)('web demo in Chromium, fixture models', () => {
  demoScenario({
    label: 'fixture',
    dataDir: dataDir!,
    screenshot: 'web-demo-fixture.png',
    models: async () => {
      modelsDir = await mkdtemp(join(tmpdir(), 'fmnist-web-models-'));
      await writeFixtureModels(modelsDir, browserFixtureWeights(await loadSplit(dataDir!, 'test', { verify: false })));
      return modelsDir;
    },
  });
  afterAll(async () => {
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });
});
