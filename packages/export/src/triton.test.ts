import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tritonConfig, tritonExplainConfig, writeTritonModel } from './triton.ts';

describe('Triton model repository', () => {
  it('config names the graph input/outputs, drops the batch dim and enables dynamic batching', () => {
    const config = tritonConfig({ name: 'cnn', inputDims: ['N', 1, 28, 28], outputSize: 10, maxBatchSize: 64 });
    expect(config).toContain('name: "cnn"');
    expect(config).toContain('platform: "onnxruntime_onnx"');
    expect(config).toContain('max_batch_size: 64');
    expect(config).toMatch(/name: "input"\s+data_type: TYPE_FP32\s+dims: \[ 1, 28, 28 \]/);
    expect(config).toMatch(/name: "logits"\s+data_type: TYPE_FP32\s+dims: \[ 10 \]/);
    expect(config).toMatch(/name: "probabilities"\s+data_type: TYPE_FP32\s+dims: \[ 10 \]/);
    expect(config).toMatch(/dynamic_batching \{/);
  });

  it('writes <repo>/<name>/config.pbtxt and <repo>/<name>/1/model.onnx', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'triton-'));
    try {
      const bytes = Uint8Array.from([1, 2, 3]);
      const paths = await writeTritonModel(repo, { name: 'mlp', inputDims: ['N', 1, 28, 28], outputSize: 10 }, bytes);
      expect(paths.model).toBe(join(repo, 'mlp', '1', 'model.onnx'));
      expect([...(await readFile(paths.model))]).toEqual([1, 2, 3]);
      expect(await readFile(join(repo, 'mlp', 'config.pbtxt'), 'utf8')).toContain('name: "mlp"');
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe('Triton explanation model', () => {
  it("declares the image and the per-image class (dims [1] reshaped to the graph's [N]) and every map", () => {
    const config = tritonExplainConfig({ name: 'cnn_explain', classes: 10, maps: ['gradcam', 'saliency'] });
    expect(config).toContain('name: "cnn_explain"');
    expect(config).toMatch(/name: "class"\s+data_type: TYPE_INT64\s+dims: \[ 1 \]\s+reshape: \{ shape: \[ \] \}/);
    expect(config).toMatch(/name: "explained_class"\s+data_type: TYPE_INT64\s+dims: \[ 1 \]\s+reshape: \{ shape: \[ \] \}/);
    for (const map of ['heatmap', 'gradcam', 'saliency']) expect(config).toMatch(new RegExp(`name: "${map}"\\s+data_type: TYPE_FP32\\s+dims: \\[ 28, 28 \\]`));
    expect(config).toMatch(/name: "input_gradient"\s+data_type: TYPE_FP32\s+dims: \[ 1, 28, 28 \]/);
    expect(tritonExplainConfig({ name: 'mlp_explain', classes: 10, maps: ['saliency'] })).not.toContain('gradcam');
  });
});
