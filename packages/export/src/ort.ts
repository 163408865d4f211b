import * as ort from 'onnxruntime-node';
import { INPUT_CONTRACT, OUTPUT_NAMES } from '@fmnist/core';

export interface SessionOptions {
  /** Threads for one inference; defaults to onnxruntime's choice. Keep low beside a training run. */
  threads?: number;
}

/** Loads ONNX bytes with every graph optimization on, as serving does. */
export async function createSession(bytes: Uint8Array, { threads }: SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}

export interface OnnxOutputs {
  logits: Float32Array;
  probabilities: Float32Array;
}

/** Runs one batch; `dims` is the ONNX input shape with the batch size first. */
export async function runSession(session: ort.InferenceSession, input: Float32Array, dims: number[]): Promise<OnnxOutputs> {
  const result = await session.run({ [INPUT_CONTRACT.name]: new ort.Tensor('float32', input, dims) });
  const logits = result[OUTPUT_NAMES.logits];
  const probabilities = result[OUTPUT_NAMES.probabilities];
  if (!logits || !probabilities) throw new Error(`session outputs are [${Object.keys(result)}], expected ${OUTPUT_NAMES.logits} and ${OUTPUT_NAMES.probabilities}`);
  return { logits: logits.data as Float32Array, probabilities: probabilities.data as Float32Array };
}
