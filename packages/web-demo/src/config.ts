/** What the page can run: the two exported models, on two onnxruntime-web backends. */
export const MODEL_NAMES = ['cnn', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MODEL_LABELS: Record<ModelName, string> = { cnn: 'CNN', mlp: 'MLP' };

export const BACKENDS = ['wasm', 'webgpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const BACKEND_LABELS: Record<Backend, string> = { wasm: 'WebAssembly', webgpu: 'WebGPU' };

/** How many classes the bars show. */
export const TOP_K = 3;

/**
 * Model URL, relative to the page so the build works under any mount point.
 * The build copies the models to `onnx/` (see build/local-assets.ts);
 * `vite dev` serves the same path.
 */
export function modelUrl(name: ModelName, base: string = document.baseURI): string {
  return new URL(`onnx/${name}.onnx`, base).href;
}
