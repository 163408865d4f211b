import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { resolveModelsDir } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import { demoScenario } from './support/scenario.ts';

/** The same scenario on the exported models in <repo>/models (or FMNIST_MODELS_DIR, or the deprecated MODELS_DIR), once the export has produced them. */
const modelsDir = resolveModelsDir();
const missing = ['cnn.onnx', 'mlp.onnx'].filter((f) => !existsSync(join(modelsDir, f)));
if (missing.length > 0) console.warn(`${missing.map((f) => join(modelsDir, f)).join(' and ')} missing: skipping the web demo test on the exported models (run the export first)`);
const dataDir = missing.length === 0 ? testDataDir() : undefined;

describe.skipIf(!dataDir)('web demo in Chromium, exported models', () => {
  demoScenario({ label: 'exported', dataDir: dataDir!, screenshot: 'web-demo.png', models: async () => modelsDir });
});
