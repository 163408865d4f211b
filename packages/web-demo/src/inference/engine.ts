import type * as Ort from 'onnxruntime-web';
import {
  EXPLAIN_INPUTS,
  EXPLAIN_OUTPUTS,
  float32Tensor,
  IMAGE_PIXELS,
  INPUT_CONTRACT,
  int64Tensor,
  NUM_CLASSES,
  onnxInputDims,
  openSessionRunner,
  OUTPUT_NAMES,
  pruneToOutputs,
  TOP_CLASS,
  type SessionRunner,
} from '@fmnist/core';
// Vite copies these into the build (fingerprinted) and hands back their URLs: served locally, never from a CDN.
import wasmRuntime from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import webgpuRuntime from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { Backend, ModelName } from '../config.ts';
import { MANIFEST_FILE, MODELS_FOLDER, parseManifest, type ManifestEntry, type ModelManifest } from './manifest.ts';
import { ModelUnavailableError, type ExplainScores, type LoadedInfo, type Runtime, type Scores, type WorkerOptions } from './protocol.ts';
import { SESSION_OPTIONS } from './session-options.ts';

/** What the demo reads of an explanation graph. */
const DEMO_EXPLAIN_OUTPUTS: readonly string[] = [EXPLAIN_OUTPUTS.heatmap, EXPLAIN_OUTPUTS.explainedClass, EXPLAIN_OUTPUTS.probabilities];

type OrtModule = typeof Ort;
type Answerer = { runner: SessionRunner; runtime: Runtime };

/**
 * One onnxruntime-web build per backend, loaded on first use: the wasm-only
 * build (its 14 MB runtime, 2.7 MB brotli-compressed, is the smallest one
 * onnxruntime-web ships) for WebAssembly, the WebGPU build (27 MB) only when
 * someone picks WebGPU. Each build is a self-contained module with its own
 * `env`, so both can live in one worker.
 */
const runtimes: Record<Backend, string> = { wasm: wasmRuntime, webgpu: webgpuRuntime };
const loaders: Record<Backend, () => Promise<OrtModule>> = {
  wasm: () => import('onnxruntime-web/wasm'),
  webgpu: () => import('onnxruntime-web/webgpu'),
};

/** Caches a promise under a key, forgetting it if it fails so the next call tries again. */
function once<K, V>(map: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let p = map.get(key);
  if (!p) {
    p = make();
    p.catch(() => map.delete(key));
    map.set(key, p);
  }
  return p;
}

/**
 * Sessions and inference, inside the worker: fetching the runtime and the
 * models, compiling and planning, all off the page's main thread. Model
 * bytes are fetched once (the browser's HTTP cache keeps them across visits)
 * and shared by both backends.
 */
export class Engine {
  private readonly modules = new Map<Backend, Promise<OrtModule>>();
  private readonly sessions = new Map<string, Promise<SessionRunner>>();
  private readonly models = new Map<string, Promise<Uint8Array>>();
  private readonly manifests = new Map<'manifest', Promise<ModelManifest>>();
  private readonly jsRunners = new Map<ModelName, Promise<SessionRunner | undefined>>();
  /** onnxruntime sessions that are created and warmed up (`backend:name`). */
  private readonly ready = new Set<string>();

  constructor(
    private readonly options: WorkerOptions,
    /** Called at each loading step, for the page's performance marks. */
    private readonly mark: (step: string) => void = () => {},
  ) {}

  private module(backend: Backend): Promise<OrtModule> {
    return once(this.modules, backend, async () => {
      const ort = await loaders[backend]();
      this.mark(`runtime-imported:${backend}`);
      // The local runtime file; the JS glue is inside the bundle already.
      ort.env.wasm.wasmPaths = { wasm: new URL(runtimes[backend], import.meta.url).href };
      ort.env.wasm.numThreads = this.options.threads;
      return ort;
    });
  }

  private url(file: string): string {
    return new URL(`${MODELS_FOLDER}/${file}`, this.options.base).href;
  }

  manifest(): Promise<ModelManifest> {
    return once(this.manifests, 'manifest', async () => {
      const url = this.url(MANIFEST_FILE);
      const res = await fetch(url);
      if (!res.ok)
        throw new ModelUnavailableError(
          `The model list is not available (${url} answered ${res.status}). Build the demo again (pnpm --filter @fmnist/web-demo build).`,
        );
      return parseManifest(await res.json());
    });
  }

  async entry(name: ModelName): Promise<ManifestEntry> {
    const entry = (await this.manifest())[name];
    if (!entry)
      throw new ModelUnavailableError(
        `The ${name.toUpperCase()} model is not in this build. Export it (pnpm run export --model ${name}) and rebuild the demo.`,
      );
    return entry;
  }

  /** A file under MODELS_FOLDER, fetched once. */
  private fileBytes(file: string, what: string): Promise<Uint8Array> {
    return once(this.models, file, async () => {
      const url = this.url(file);
      const res = await fetch(url);
      if (!res.ok) throw new ModelUnavailableError(`The ${what} is not available (${url} answered ${res.status}). Export the models and rebuild the demo.`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      this.mark(`model-fetched:${file}`);
      return bytes;
    });
  }

  private async modelBytes(name: ModelName): Promise<Uint8Array> {
    return this.fileBytes((await this.entry(name)).file, `${name} model`);
  }

  private session(name: ModelName, backend: Backend): Promise<SessionRunner> {
    return once(this.sessions, `${backend}:${name}`, async () => {
      const [ort, bytes] = await Promise.all([this.module(backend), this.modelBytes(name)]);
      // Exactly the chosen provider: a silent fallback would make the backend switch meaningless.
      const session = await openSessionRunner(ort, bytes, SESSION_OPTIONS(backend));
      this.mark(`session-created:${backend}:${name}`);
      if (!session.outputNames.includes(OUTPUT_NAMES.probabilities)) {
        throw new ModelUnavailableError(
          `The ${name} model has outputs [${session.outputNames.join(', ')}]; the contract needs '${OUTPUT_NAMES.probabilities}'.`,
        );
      }
      // Warm-up: the first run plans and allocates; do it now so the first image's timing is a real one.
      await session.run({ [INPUT_CONTRACT.name]: float32Tensor(new Float32Array(IMAGE_PIXELS), onnxInputDims(1)) }, [OUTPUT_NAMES.probabilities]);
      this.mark(`warmed-up:${backend}:${name}`);
      this.ready.add(`${backend}:${name}`);
      return session;
    });
  }

  async load(name: ModelName, backend: Backend): Promise<LoadedInfo> {
    // The page's first load: the kernels get ready beside the runtime, for an image that arrives before it.
    if (backend === 'wasm' && this.ready.size === 0) this.jsRunner(name).catch(() => undefined);
    await this.session(name, backend);
    return this.entry(name);
  }

  /**
   * The explanation graph's session, on a copy cut to the outputs the demo
   * reads (wasm only: its ops are what the wasm backend runs everywhere; the
   * maps are small, a GPU would not pay for itself).
   */
  private explainSession(name: ModelName): Promise<SessionRunner> {
    return once(this.sessions, `explain:${name}`, async () => {
      const graph = (await this.entry(name)).explain;
      if (!graph)
        throw new ModelUnavailableError(
          `The ${name} model has no explanation graph in this build (models/explain/${name}.onnx); export it and rebuild the demo.`,
        );
      const [ort, bytes] = await Promise.all([this.module('wasm'), this.fileBytes(graph.file, `${name} explanation graph`)]);
      // Only what the demo shows: onnxruntime would run the other maps' nodes too (for a ResNet explained by Grad-CAM, its whole backward pass).
      let cut: Uint8Array;
      try {
        cut = pruneToOutputs(bytes, DEMO_EXPLAIN_OUTPUTS).bytes;
      } catch (err) {
        throw new ModelUnavailableError(`The ${name} explanation graph cannot be used: ${err instanceof Error ? err.message : String(err)}.`);
      }
      const session = await openSessionRunner(ort, cut, SESSION_OPTIONS('wasm'));
      // Warm-up, as for the classifiers.
      await this.runExplain(session, new Float32Array(IMAGE_PIXELS), TOP_CLASS);
      return session;
    });
  }

  private async runExplain(session: SessionRunner, input: Float32Array, explainClass: number): Promise<ExplainScores> {
    const feeds = {
      [EXPLAIN_INPUTS.image]: float32Tensor(input, onnxInputDims(1)),
      [EXPLAIN_INPUTS.class]: int64Tensor(BigInt64Array.of(BigInt(explainClass))),
    };
    const t0 = performance.now();
    const out = await session.run(feeds, DEMO_EXPLAIN_OUTPUTS);
    const explainMs = performance.now() - t0;
    const heatmap = Float32Array.from(out[EXPLAIN_OUTPUTS.heatmap]!.data as Float32Array);
    const probabilities = Float32Array.from(out[EXPLAIN_OUTPUTS.probabilities]!.data as Float32Array);
    const explainedClass = Number((out[EXPLAIN_OUTPUTS.explainedClass]!.data as BigInt64Array)[0]);
    if (heatmap.length !== IMAGE_PIXELS || probabilities.length !== NUM_CLASSES)
      throw new Error(`the explanation graph returned ${heatmap.length} map values and ${probabilities.length} probabilities`);
    return { heatmap, explainedClass, probabilities, explainMs };
  }

  /** The heatmap of `explainClass` (TOP_CLASS = the top class) for one image. */
  async explain(name: ModelName, input: Float32Array, explainClass: number): Promise<ExplainScores> {
    return this.runExplain(await this.explainSession(name), input, explainClass);
  }

  /**
   * The classifier on the JavaScript kernels (src/inference/js/), or
   * undefined where the graph needs an op they lack. Loaded on demand, so
   * the worker's own script stays small.
   */
  private jsRunner(name: ModelName): Promise<SessionRunner | undefined> {
    return once(this.jsRunners, name, async () => {
      const [bytes, js] = await Promise.all([this.modelBytes(name), import('./js/runner.ts')]);
      try {
        const runner = js.openJsRunner(bytes);
        this.mark(`js-runner-ready:${name}`);
        return runner;
      } catch (err) {
        if (err instanceof js.UnsupportedGraphError) return undefined;
        throw err;
      }
    });
  }

  /**
   * What answers now: onnxruntime once its session is warm; before that, on
   * wasm, whichever is ready first of onnxruntime and the JavaScript
   * kernels. A first visitor's first image would otherwise wait for the
   * 14 MB runtime's download, compile and start (about 1 s on a desktop,
   * several on a phone); the kernels give it the same probabilities
   * (test/js-runner.test.ts) in tens of milliseconds.
   */
  private answerer(name: ModelName, backend: Backend): Promise<Answerer> {
    const ort: Promise<Answerer> = this.session(name, backend).then((runner) => ({ runner, runtime: 'onnxruntime' }));
    if (backend !== 'wasm' || this.ready.has(`${backend}:${name}`)) return ort;
    const js = this.jsRunner(name).then(
      (runner): Answerer | Promise<Answerer> => (runner ? { runner, runtime: 'javascript' } : ort),
      () => ort,
    );
    return Promise.race([ort, js]);
  }

  async classify(name: ModelName, backend: Backend, input: Float32Array): Promise<Scores> {
    const { runner: session, runtime } = await this.answerer(name, backend);
    const t0 = performance.now();
    const out = await session.run({ [INPUT_CONTRACT.name]: float32Tensor(input, onnxInputDims(1)) }, [OUTPUT_NAMES.probabilities]);
    const inferenceMs = performance.now() - t0;
    const result = out[OUTPUT_NAMES.probabilities];
    if (!result) throw new Error(`the ${name} model returned no '${OUTPUT_NAMES.probabilities}'`);
    // A copy: the runner's array is the session's output (getData() already downloaded WebGPU outputs).
    const probabilities = Float32Array.from(result.data as Float32Array);
    if (probabilities.length !== NUM_CLASSES) throw new Error(`the ${name} model returned ${probabilities.length} probabilities, expected ${NUM_CLASSES}`);
    return { probabilities, inferenceMs, runtime };
  }
}
