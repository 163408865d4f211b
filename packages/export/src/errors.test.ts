import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertSpec } from './convert/convert.ts';
import { ArtifactError, UnsupportedLayerError } from './errors.ts';
import { specFromLayersModel } from './model/spec.ts';
import { exportRunDir } from './pipeline.ts';
import { saveRunDir } from '../test/run-dir.ts';
import { useCpuBackend } from './tfjs.ts';
import { RUN_FILES } from '@fmnist/core';

let root: string;
beforeAll(async () => {
  await useCpuBackend();
  root = await mkdtemp(join(tmpdir(), 'fmnist-export-errors-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function convert(layers: tfl.layers.Layer[]) {
  return () => convertSpec(specFromLayersModel(tfl.sequential({ layers })), { name: 'bad' });
}

describe('unsupported layers name the layer, its class and the setting', () => {
  it.each([
    [
      'an unknown layer class',
      () => [tfl.layers.averagePooling2d({ inputShape: [6, 6, 1], poolSize: 2, name: 'avg' }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })],
      'avg',
      'AveragePooling2D',
      'layer class',
    ],
    ['an unsupported activation', () => [tfl.layers.dense({ inputShape: [4], units: 2, activation: 'tanh', name: 'dt' })], 'dt', 'Dense', 'activation: "tanh"'],
    [
      'a dilated Conv2D',
      () => [
        tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, dilationRate: 2, name: 'dil' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
      'dil',
      'Conv2D',
      'dilationRate: [2,2]',
    ],
    [
      'channels-first pooling',
      () => [
        tfl.layers.maxPooling2d({ inputShape: [4, 6, 6], poolSize: 2, dataFormat: 'channelsFirst', name: 'cf' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
      'cf',
      'MaxPooling2D',
      'dataFormat: "channelsFirst"',
    ],
    [
      'BatchNormalization after a fused relu',
      () => [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }), tfl.layers.batchNormalization({ name: 'bn' })],
      'bn',
      'BatchNormalization',
      'placement',
    ],
    [
      'BatchNormalization on the input',
      () => [tfl.layers.batchNormalization({ inputShape: [4], name: 'bn0' }), tfl.layers.dense({ units: 2 })],
      'bn0',
      'BatchNormalization',
      'placement',
    ],
  ] as const)('%s', (_, layers, layerName, className, setting) => {
    const run = convert(layers() as tfl.layers.Layer[]);
    expect(run).toThrow(UnsupportedLayerError);
    expect(run).toThrow(`layer '${layerName}' (${className}): unsupported ${setting}`);
  });
});

describe('corrupt or missing artifacts give ArtifactError with a code', () => {
  async function runDir(name: string): Promise<string> {
    const dir = join(root, name);
    await saveRunDir(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3 })] }), dir);
    return dir;
  }
  async function expectCode(dir: string, code: ArtifactError['code']) {
    const error = await exportRunDir(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).code).toBe(code);
    return error as ArtifactError;
  }

  it('a valid run directory exports (the baseline the faults below break)', async () => {
    await expect(exportRunDir(await runDir('ok'))).resolves.toMatchObject({ outputSize: 3 });
  });
  it('missing model.json', async () => {
    const error = await expectCode(join(root, 'nowhere'), 'missing');
    expect(error.message).toContain('model.json');
  });
  it('model.json that is not JSON', async () => {
    const dir = await runDir('badjson');
    await writeFile(join(dir, RUN_FILES.model), '{"modelTopology": ');
    await expectCode(dir, 'bad-json');
  });
  it('truncated weights.bin', async () => {
    const dir = await runDir('truncated');
    const bytes = await readFile(join(dir, RUN_FILES.weights));
    await writeFile(join(dir, RUN_FILES.weights), bytes.subarray(0, bytes.length - 4));
    const error = await expectCode(dir, 'bad-weights');
    expect(error.message).toMatch(/hold \d+ bytes but the manifest describes \d+/);
  });
  it('missing weights.bin', async () => {
    const dir = await runDir('noweights');
    await rm(join(dir, RUN_FILES.weights));
    await expectCode(dir, 'missing');
  });
  it('a tfjs graph model', async () => {
    const dir = await runDir('graph');
    const json = JSON.parse(await readFile(join(dir, RUN_FILES.model), 'utf8'));
    await writeFile(join(dir, RUN_FILES.model), JSON.stringify({ ...json, format: 'graph-model' }));
    await expectCode(dir, 'bad-format');
  });
  it('a topology tfjs cannot build', async () => {
    const dir = await runDir('unknownclass');
    const text = await readFile(join(dir, RUN_FILES.model), 'utf8');
    await writeFile(join(dir, RUN_FILES.model), text.replace('"class_name":"Dense"', '"class_name":"NoSuchLayer"'));
    await expectCode(dir, 'load-failed');
  });
});
