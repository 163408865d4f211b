import { defineConfig } from 'vite';
import { resolveModelsDir } from '@fmnist/core/node';
import { localModels } from './build/local-assets.ts';
import { precompress } from './build/precompress.ts';

const root = import.meta.dirname;
/** Models copied into the build; FMNIST_MODELS_DIR lets a build carry other models (tests, a second machine). */
const modelsDir = resolveModelsDir();
/** `vite dev` forwards API calls to a running server (pnpm start). */
const api = process.env.API_URL ?? 'http://127.0.0.1:3000';

// Cross-origin isolation (SharedArrayBuffer) lets onnxruntime-web use wasm threads; the server sends the same headers.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  // Relative asset URLs: the build works wherever it is mounted.
  base: './',
  plugins: [localModels(modelsDir), precompress()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024, reportCompressedSize: false },
  // ES module workers: the inference worker loads each onnxruntime-web build as its own chunk, on demand.
  worker: { format: 'es' },
  // Pre-bundling rewrites onnxruntime-web's import.meta.url, which it needs to start its worker threads.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: {
    headers: isolation,
    proxy: Object.fromEntries(['/classify', '/samples', '/models', '/healthz'].map((p) => [p, { target: api, changeOrigin: true }])),
  },
  preview: { headers: isolation },
});
