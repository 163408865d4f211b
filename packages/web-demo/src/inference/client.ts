import type { Backend, ModelName } from '../config.ts';
import type { ModelManifest } from './manifest.ts';
import {
  ModelUnavailableError,
  type ExplainScores,
  type LoadedInfo,
  type Scores,
  type WireError,
  type WorkerOptions,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol.ts';

export { ModelUnavailableError, type ExplainScores, type LoadedInfo, type Scores };

type Pending = { resolve: (r: WorkerResponse & { ok: true }) => void; reject: (e: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

function fromWire(e: WireError): Error {
  if (e.name === 'ModelUnavailableError') return new ModelUnavailableError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * The page's handle on the inference worker (src/inference/worker.ts): the
 * same calls a local runtime would have, answered from the worker, so the
 * main thread only posts 784 floats and receives 10.
 */
export class Inference {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly loaded = new Map<string, Promise<LoadedInfo>>();

  /**
   * One wasm thread. More would need SharedArrayBuffer (a cross-origin
   * isolated page, which this is), but each extra thread is a worker of its
   * own that loads onnxruntime's script and instantiates the 14 MB runtime
   * before the first session exists, on the critical path to the first
   * prediction, while these 28x28 models run in about 1 ms on one thread
   * either way (bench:web, docs/benchmarks.md).
   */
  readonly threads = 1;

  /** Started on first use, so that nothing loads before the page asks for a model. */
  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'fmnist-inference' });
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      if (e.data.ok && e.data.type === 'mark') {
        performance.mark(`fmnist:${e.data.step}`, { startTime: e.data.at - performance.timeOrigin });
        return;
      }
      const p = this.pending.get(e.data.id);
      if (!p) return;
      this.pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data);
      else p.reject(fromWire(e.data.error));
    };
    worker.onerror = (e) => {
      // A worker that failed to start (script blocked or missing) fails every request instead of leaving them hanging.
      e.preventDefault();
      const err = new Error(`the inference worker failed: ${e.message || 'it could not be started'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.loaded.clear();
      this.worker = undefined;
    };
    const options: WorkerOptions = { base: document.baseURI, threads: this.threads };
    worker.postMessage(options);
    this.worker = worker;
    return worker;
  }

  private request(body: RequestBody): Promise<WorkerResponse & { ok: true }> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id });
    });
  }

  /** Fetches the model and builds (and warms up) its session in the worker; resolves with the file and weights it runs. */
  load(name: ModelName, backend: Backend): Promise<LoadedInfo> {
    const key = `${backend}:${name}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = this.request({ type: 'load', name, backend }).then((r) => (r.type === 'load' ? r.info : Promise.reject(new Error('unexpected answer'))));
      p.catch(() => this.loaded.delete(key));
      this.loaded.set(key, p);
    }
    return p;
  }

  /** Which models this build has (and their weights, calibration and explanation graphs). */
  async manifest(): Promise<ModelManifest> {
    const r = await this.request({ type: 'manifest' });
    if (r.type !== 'manifest') throw new Error('unexpected answer from the inference worker');
    return r.manifest;
  }

  /** The heatmap of a class (-1: the top class) from the model's explanation graph. */
  async explain(name: ModelName, input: Float32Array, explainClass: number): Promise<ExplainScores> {
    const r = await this.request({ type: 'explain', name, input, explainClass });
    if (r.type !== 'explain') throw new Error('unexpected answer from the inference worker');
    return r.explanation;
  }

  /** Does not wait for `load`: before onnxruntime is up, the worker answers with its JavaScript kernels. */
  async classify(name: ModelName, backend: Backend, input: Float32Array): Promise<Scores & { info: LoadedInfo }> {
    const r = await this.request({ type: 'run', name, backend, input });
    if (r.type !== 'run') throw new Error('unexpected answer from the inference worker');
    return { ...r.scores, info: r.info };
  }
}
