import type { Backend, ModelName } from '../config.ts';
import type { ManifestEntry, ModelManifest } from './manifest.ts';

/**
 * Messages between the page and the inference worker. Each request carries
 * an id; the worker answers it exactly once, with a result or an error.
 */
export type WorkerRequest =
  | { id: number; type: 'load'; name: ModelName; backend: Backend }
  | { id: number; type: 'run'; name: ModelName; backend: Backend; input: Float32Array }
  | { id: number; type: 'manifest' }
  | { id: number; type: 'explain'; name: ModelName; input: Float32Array; explainClass: number };

/** What the page learns once a session is ready: which file and weights it runs. */
export type LoadedInfo = ManifestEntry;

/** What ran the classifier: onnxruntime-web, or the JavaScript kernels while it starts. */
export type Runtime = 'onnxruntime' | 'javascript';

export interface Scores {
  probabilities: Float32Array;
  /** Wall time of `session.run` for one image, in ms (measured in the worker). */
  inferenceMs: number;
  runtime: Runtime;
}

/** One image's explanation, from the model's explanation graph (on wasm). */
export interface ExplainScores {
  /** 28x28 row-major in [0, 1]: the graph's `heatmap` output. */
  heatmap: Float32Array;
  /** The class the map explains (the top class when -1 was asked). */
  explainedClass: number;
  /** The graph's probabilities (the same weights as the classifier, in float32). */
  probabilities: Float32Array;
  /** Wall time of the explanation graph's `session.run`, in ms (measured in the worker). */
  explainMs: number;
}

/** Errors cross the thread boundary as plain data; `name` lets the page re-create typed ones. */
export interface WireError {
  name: string;
  message: string;
}

export type WorkerResponse =
  | { id: number; ok: true; type: 'load'; info: LoadedInfo }
  | WorkerMark
  | { id: number; ok: true; type: 'run'; scores: Scores; info: LoadedInfo }
  | { id: number; ok: true; type: 'manifest'; manifest: ModelManifest }
  | { id: number; ok: true; type: 'explain'; explanation: ExplainScores }
  | { id: number; ok: false; error: WireError };

/**
 * A step of model loading inside the worker (runtime imported, model
 * fetched, session created, warmed up), sent unasked with its wall-clock time
 * (epoch ms: the worker's clock origin is not the page's). The page turns
 * each into a `performance.mark('fmnist:<step>')`, which is how bench:web
 * times the steps apart.
 */
export interface WorkerMark {
  id: 0;
  ok: true;
  type: 'mark';
  step: string;
  at: number;
}

/** Set once per worker, before any request: the page's base URL (models are relative to it) and the wasm thread count. */
export interface WorkerOptions {
  base: string;
  threads: number;
}

export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
}
