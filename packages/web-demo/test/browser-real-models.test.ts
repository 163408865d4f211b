import { describe } from 'vitest';
import { resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import { demoScenario } from './support/scenario.ts';

/** The same scenario on the shipped models in <repo>/models (or FMNIST_MODELS_DIR): missing, the test fails. */
const modelsDir = resolveModelsDir();
requireModelFiles(modelsDir, ['cnn.onnx', 'mlp.onnx']);
const dataDir = testDataDir();

describe.skipIf(!dataDir)('web demo in Chromium, exported models', () => {
  demoScenario({ label: 'exported', dataDir: dataDir!, screenshot: 'web-demo.png', models: async () => modelsDir });
});
