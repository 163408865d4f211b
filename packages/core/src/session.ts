// Types only: core runs in the browser and in node, and onnxruntime-node and
// onnxruntime-web each bundle their own copy of onnxruntime-common's code.
import type { InferenceSession, TensorConstructor } from 'onnxruntime-common';
import { INPUT_CONTRACT, OUTPUT_NAMES } from './contract.ts';

/**
 * A tensor as plain values: what every session runner takes and returns,
 * whichever runtime runs the graph and whichever thread it runs in (an
 * ort Tensor does not survive structured cloning; these do). The models
 * take float32 images and int64 class indices and answer the same types.
 */
export type TensorValue =
  | { readonly type: 'float32'; readonly data: Float32Array; readonly dims: readonly number[] }
  | { readonly type: 'int64'; readonly data: BigInt64Array; readonly dims: readonly number[] };

/**
 * One loaded graph, as every package runs it: serve (in a session thread or
 * in-process), export's parity checks, the scripts and the browser's worker.
 * An interface, so that tests can swap in failing or slow sessions.
 */
export interface SessionRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** `outputs`: fetch only these (onnxruntime then skips nodes that only other outputs need); default all. */
  run(feeds: Readonly<Record<string, TensorValue>>, outputs?: readonly string[]): Promise<Record<string, TensorValue>>;
  release(): Promise<void>;
}

/** What a runner needs of a runtime module: `import * as ort from 'onnxruntime-node'` (or `-web`) fits it. */
export interface OrtRuntime {
  readonly InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  readonly Tensor: TensorConstructor;
}

/**
 * Opens `bytes` on the given runtime. The options are the caller's: each
 * runtime's owner picks its providers and threads; the tensor conversion,
 * the one part every runtime shares, lives here.
 */
export async function openSessionRunner(ort: OrtRuntime, bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<SessionRunner> {
  const session = await ort.InferenceSession.create(bytes, options);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      const tensors = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [
          name,
          t.type === 'int64' ? new ort.Tensor('int64', t.data, t.dims) : new ort.Tensor('float32', t.data, t.dims),
        ]),
      );
      const out = await (outputs ? session.run(tensors, [...outputs]) : session.run(tensors));
      const result: Record<string, TensorValue> = {};
      // getData(): WebGPU outputs may live on the GPU; on the CPU it is the tensor's own array, not a copy.
      for (const [name, t] of Object.entries(out)) {
        if (t.type === 'float32') result[name] = { type: 'float32', data: (await t.getData()) as Float32Array, dims: t.dims };
        else if (t.type === 'int64') result[name] = { type: 'int64', data: (await t.getData()) as BigInt64Array, dims: t.dims };
        else throw new TypeError(`output '${name}' is ${t.type}; the models' outputs are float32 or int64`);
      }
      return result;
    },
    release: () => session.release(),
  };
}

/** A float32 batch of `dims` (batch first), as a runner feed. */
export function float32Tensor(data: Float32Array, dims: readonly number[]): TensorValue {
  return { type: 'float32', data, dims };
}

/** An int64 vector (class indices), as a runner feed. */
export function int64Tensor(data: BigInt64Array, dims: readonly number[] = [data.length]): TensorValue {
  return { type: 'int64', data, dims };
}

/** A classifier's two outputs for a batch, row-major (batch x classes). */
export interface ClassifierScores {
  logits: Float32Array;
  probabilities: Float32Array;
}

/** Runs one batch through a classifier; `dims` is the ONNX input shape with the batch size first. */
export async function runClassifier(runner: SessionRunner, input: Float32Array, dims: readonly number[]): Promise<ClassifierScores> {
  const out = await runner.run({ [INPUT_CONTRACT.name]: float32Tensor(input, dims) });
  const logits = out[OUTPUT_NAMES.logits];
  const probabilities = out[OUTPUT_NAMES.probabilities];
  if (logits?.type !== 'float32' || probabilities?.type !== 'float32') {
    throw new Error(`session outputs are [${Object.keys(out)}], expected float32 ${OUTPUT_NAMES.logits} and ${OUTPUT_NAMES.probabilities}`);
  }
  return { logits: logits.data, probabilities: probabilities.data };
}
