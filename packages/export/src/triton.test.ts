import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tritonConfig, writeTritonModel } from './triton.ts';

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
