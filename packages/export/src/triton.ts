import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUT_CONTRACT, OUTPUT_NAMES } from '@fmnist/core';
import { EXPLAIN_INPUTS, EXPLAIN_OUTPUTS, MAP_SIZE } from './explain/contract.ts';

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

/**
 * config.pbtxt of an explanation graph. `class` is a scalar per image: with
 * batching Triton needs dims [ 1 ] and a reshape to [ ] (the graph takes [N]);
 * `explained_class` likewise.
 */
export function tritonExplainConfig({
  name,
  classes,
  maps,
  maxBatchSize = 128,
}: {
  name: string;
  classes: number;
  maps: readonly string[];
  maxBatchSize?: number;
}): string {
  const tensor = (n: string, type: string, dims: number[], scalar = false) =>
    `  {\n    name: "${n}"\n    data_type: ${type}\n    dims: [ ${dims.join(', ')} ]${scalar ? '\n    reshape: { shape: [ ] }' : ''}\n  }`;
  const outputs = [
    tensor(OUTPUT_NAMES.logits, 'TYPE_FP32', [classes]),
    tensor(OUTPUT_NAMES.probabilities, 'TYPE_FP32', [classes]),
    tensor(EXPLAIN_OUTPUTS.explainedClass, 'TYPE_INT64', [1], true),
    ...['heatmap', ...maps].map((m) => tensor(m, 'TYPE_FP32', [...MAP_SIZE])),
    tensor(EXPLAIN_OUTPUTS.inputGradient, 'TYPE_FP32', [1, ...MAP_SIZE]),
  ];
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: ${maxBatchSize}
input [
${tensor(INPUT_CONTRACT.name, 'TYPE_FP32', [1, ...MAP_SIZE])},
${tensor(EXPLAIN_INPUTS.class, 'TYPE_INT64', [1], true)}
]
output [
${outputs.join(',\n')}
]
dynamic_batching {
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

/** Writes an explanation graph as `<repo>/<name>/config.pbtxt` + `1/model.onnx` (name: `<model>_explain`). */
export async function writeTritonExplainModel(
  repo: string,
  spec: { name: string; classes: number; maps: readonly string[] },
  onnxBytes: Uint8Array,
): Promise<{ config: string; model: string }> {
  const modelDir = join(repo, spec.name);
  await mkdir(join(modelDir, '1'), { recursive: true });
  const config = join(modelDir, 'config.pbtxt');
  const model = join(modelDir, '1', 'model.onnx');
  await writeFile(config, tritonExplainConfig(spec));
  await writeFile(model, onnxBytes);
  return { config, model };
}
