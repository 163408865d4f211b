import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUT_CONTRACT, OUTPUT_NAMES } from '@fmnist/core';

export interface TritonModelSpec {
  /** Model name in the repository (the folder name and config `name`). */
  name: string;
  /** ONNX input dims with the batch first, e.g. ['N', 1, 28, 28]. */
  inputDims: (number | string)[];
  outputSize: number;
  /** Largest batch Triton forms; 0 would disable batching, so at least 1. */
  maxBatchSize?: number;
}

/**
 * config.pbtxt for the onnxruntime backend. Triton strips the batch
 * dimension from `dims` when max_batch_size > 0, which is why the graph's
 * batch dimension must be dynamic. Dynamic batching merges concurrent
 * requests into one session run.
 */
export function tritonConfig({ name, inputDims, outputSize, maxBatchSize = 128 }: TritonModelSpec): string {
  const dims = (d: (number | string)[]) => `[ ${d.join(', ')} ]`;
  const output = (n: string) => `  {\n    name: "${n}"\n    data_type: TYPE_FP32\n    dims: ${dims([outputSize])}\n  }`;
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: ${maxBatchSize}
input [
  {
    name: "${INPUT_CONTRACT.name}"
    data_type: TYPE_FP32
    dims: ${dims(inputDims.slice(1))}
  }
]
output [
${output(OUTPUT_NAMES.logits)},
${output(OUTPUT_NAMES.probabilities)}
]
dynamic_batching {
  preferred_batch_size: [ 8, 32 ]
  max_queue_delay_microseconds: 2000
}
instance_group [
  {
    count: 1
    kind: KIND_CPU
  }
]
`;
}

/** Writes `<repo>/<name>/config.pbtxt` and `<repo>/<name>/1/model.onnx`; returns both paths. */
export async function writeTritonModel(repo: string, spec: TritonModelSpec, onnxBytes: Uint8Array): Promise<{ config: string; model: string }> {
  const modelDir = join(repo, spec.name);
  await mkdir(join(modelDir, '1'), { recursive: true });
  const config = join(modelDir, 'config.pbtxt');
  const model = join(modelDir, '1', 'model.onnx');
  await writeFile(config, tritonConfig(spec));
  await writeFile(model, onnxBytes);
  return { config, model };
}
