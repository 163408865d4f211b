/** What the page can run: the two exported models, on two onnxruntime-web backends. */
export const MODEL_NAMES = ['cnn', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MODEL_LABELS: Record<ModelName, string> = { cnn: 'CNN', mlp: 'MLP' };

export const BACKENDS = ['wasm', 'webgpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const BACKEND_LABELS: Record<Backend, string> = { wasm: 'WebAssembly', webgpu: 'WebGPU' };

/** How many classes the bars show. */
export const TOP_K = 3;

/** Model loaded first, at start-up; the others follow in the background. */
export const FIRST_MODEL: ModelName = 'cnn';
