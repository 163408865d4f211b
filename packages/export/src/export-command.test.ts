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
    const result = await runExportCommand({
      model: join(root, 'tiny'),
      out: join(root, 'out'),
      triton: join(root, 'triton'),
      int8: true,
      log: (l) => lines.push(l),
    });
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

  it('--explain writes explain/<name>.onnx, self-checked against tfjs autodiff, and <name>_explain in the Triton repository', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10 }),
      ],
    });
    randomizeWeights(model, 37);
    await saveRunDir(model, join(root, 'tinycnn'));
    const result = await runExportCommand({ model: join(root, 'tinycnn'), out: join(root, 'out'), triton: join(root, 'triton'), explain: true, log: () => {} });
    expect(result.explainPath).toBe(join(root, 'out', 'explain', 'tinycnn.onnx'));
    expect(result.explainSelfCheck).toBeLessThanOrEqual(1e-4);
    const graph = decodeModel(await readFile(result.explainPath!));
    expect(graph.graph!.input!.map((i) => i.name)).toEqual(['input', 'class']);
    expect(graph.graph!.output!.map((o) => o.name)).toEqual(['logits', 'probabilities', 'explained_class', 'heatmap', 'gradcam', 'saliency', 'input_gradient']);
    expect(Number(graph.opsetImport![0]!.version)).toBe(16);
    expect(JSON.parse(graph.metadataProps!.find((p) => p.key === 'explanation')!.value!).heatmap).toBe('saliency');
    expect(await readFile(join(root, 'triton', 'tinycnn_explain', 'config.pbtxt'), 'utf8')).toContain('name: "tinycnn_explain"');
  });
});
