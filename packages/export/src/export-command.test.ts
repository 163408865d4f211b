import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomizeWeights } from '../test/helpers.ts';
import { saveRunDir } from '../test/run-dir.ts';
import { runExportCommand } from './export-command.ts';
import { decodeModel } from './onnx/proto.ts';
import { useCpuBackend } from './tfjs.ts';

let root: string;
beforeAll(async () => {
  await useCpuBackend();
  root = await mkdtemp(join(tmpdir(), 'fmnist-export-cli-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('export command', () => {
  it('writes <name>.onnx and a Triton repository from a run directory', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10 })] });
    randomizeWeights(model, 31);
    await saveRunDir(model, join(root, 'tiny'));
    const lines: string[] = [];
    const result = await runExportCommand({ model: join(root, 'tiny'), out: join(root, 'out'), triton: join(root, 'triton'), int8: true, log: (l) => lines.push(l) });
    expect(result.onnxPath).toBe(join(root, 'out', 'tiny.onnx'));
    expect(result.selfCheckMaxAbs).toBeLessThanOrEqual(1e-5);
    const written = await readFile(result.onnxPath);
    expect(decodeModel(written).graph!.name).toBe('tiny');
    expect([...(await readFile(join(root, 'triton', 'tiny', '1', 'model.onnx')))]).toEqual([...written]);
    expect(existsSync(join(root, 'triton', 'tiny', 'config.pbtxt'))).toBe(true);
    expect(lines.join('\n')).toContain('unknown (no metrics.json)');
    expect(result.int8Path).toBe(join(root, 'out', 'tiny.int8.onnx'));
    expect((await readFile(result.int8Path!)).length).toBeLessThan(0.4 * written.length);
  });
});
