import type * as Ort from 'onnxruntime-web';
import { IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH, INPUT_CONTRACT, NUM_CLASSES, OUTPUT_NAMES } from '@fmnist/core';
// Vite copies these into the build (fingerprinted) and hands back their URLs: served locally, never from a CDN.
import wasmRuntime from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import webgpuRuntime from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { modelUrl, type Backend, type ModelName } from '../config.ts';

type OrtModule = typeof Ort;

/**
 * One onnxruntime-web build per backend, loaded on first use: the plain
 * wasm build (14 MB runtime) for WebAssembly, the WebGPU build (27 MB) only
 * when someone picks WebGPU. Each build is a self-contained module with its
 * own `env`, so both can live in one page.
 */
const runtimes: Record<Backend, string> = { wasm: wasmRuntime, webgpu: webgpuRuntime };
const loaders: Record<Backend, () => Promise<OrtModule>> = {
  wasm: () => import('onnxruntime-web/wasm'),
  webgpu: () => import('onnxruntime-web/webgpu'),
};

export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
}

export interface Scores {
  probabilities: Float32Array;
  /** Wall time of `session.run` for one image, in ms. */
  inferenceMs: number;
}

export class Runtime {
  private readonly modules = new Map<Backend, Promise<OrtModule>>();
  private readonly sessions = new Map<string, Promise<Ort.InferenceSession>>();
  private readonly models = new Map<ModelName, Promise<Uint8Array>>();

  /** Threads need SharedArrayBuffer, which only a cross-origin isolated page has. */
  readonly threads = globalThis.crossOriginIsolated ? Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1)) : 1;

  private module(backend: Backend): Promise<OrtModule> {
    let m = this.modules.get(backend);
    if (!m) {
      m = loaders[backend]().then((ort) => {
        // The local runtime file; the JS glue is inside the bundle already.
        ort.env.wasm.wasmPaths = { wasm: new URL(runtimes[backend], document.baseURI).href };
        ort.env.wasm.numThreads = this.threads;
        return ort;
      });
      m.catch(() => this.modules.delete(backend));
      this.modules.set(backend, m);
    }
    return m;
  }

  /** Model bytes are fetched once and shared by both backends. */
  private modelBytes(name: ModelName): Promise<Uint8Array> {
    let bytes = this.models.get(name);
    if (!bytes) {
      const url = modelUrl(name);
      bytes = fetch(url).then(async (res) => {
        if (!res.ok) throw new ModelUnavailableError(`The ${name.toUpperCase()} model is not available (${url} answered ${res.status}). Export the models and rebuild the demo.`);
        return new Uint8Array(await res.arrayBuffer());
      });
      bytes.catch(() => this.models.delete(name));
      this.models.set(name, bytes);
    }
    return bytes;
  }

  session(name: ModelName, backend: Backend): Promise<Ort.InferenceSession> {
    const key = `${backend}:${name}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const [ort, bytes] = await Promise.all([this.module(backend), this.modelBytes(name)]);
        // Exactly the chosen provider: a silent fallback would make the backend switch meaningless.
        const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: 'all' });
        if (!session.outputNames.includes(OUTPUT_NAMES.probabilities)) {
          throw new ModelUnavailableError(`The ${name} model has outputs [${session.outputNames.join(', ')}]; the contract needs '${OUTPUT_NAMES.probabilities}'.`);
        }
        // Warm-up: the first run plans and allocates; do it now so the first image's timing is a real one.
        await session.run({ [INPUT_CONTRACT.name]: new ort.Tensor(INPUT_CONTRACT.dtype, new Float32Array(IMAGE_PIXELS), [1, 1, IMAGE_HEIGHT, IMAGE_WIDTH]) }, [OUTPUT_NAMES.probabilities]);
        return session;
      })();
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  async classify(name: ModelName, backend: Backend, input: Float32Array): Promise<Scores> {
    const [ort, session] = await Promise.all([this.module(backend), this.session(name, backend)]);
    const tensor = new ort.Tensor(INPUT_CONTRACT.dtype, input, [1, 1, IMAGE_HEIGHT, IMAGE_WIDTH]);
    const t0 = performance.now();
    const out = await session.run({ [INPUT_CONTRACT.name]: tensor }, [OUTPUT_NAMES.probabilities]);
    const inferenceMs = performance.now() - t0;
    const result = out[OUTPUT_NAMES.probabilities];
    if (!result) throw new Error(`the ${name} model returned no '${OUTPUT_NAMES.probabilities}'`);
    // WebGPU outputs may live on the GPU; getData() downloads them either way.
    const probabilities = Float32Array.from((await result.getData()) as Float32Array);
    if (probabilities.length !== NUM_CLASSES) throw new Error(`the ${name} model returned ${probabilities.length} probabilities, expected ${NUM_CLASSES}`);
    return { probabilities, inferenceMs };
  }
}

/** WebGPU is usable only when the browser hands out an adapter (headless and GPU-less machines often do not). */
export async function webgpuAvailable(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}
