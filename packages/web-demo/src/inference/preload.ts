// The same import as the worker's (engine.ts): Vite hands both the one fingerprinted URL.
import wasmRuntime from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

/**
 * Starts downloading the wasm runtime from the page, the moment its script
 * runs, instead of when onnxruntime asks for it inside the worker (after the
 * worker's script and onnxruntime's own have loaded, and the model with
 * them). The worker's request then finds the file in, or on its way into,
 * the HTTP cache (fingerprinted, immutable), so it is downloaded once.
 * Inserted by script rather than written in the HTML so that on a slow
 * network it does not compete with the page's own CSS and script.
 */
export function preloadRuntime(): void {
  const link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'fetch';
  // Same mode and credentials as the worker's fetch (CORS, same-origin): otherwise the preload would not be reused.
  link.crossOrigin = 'anonymous';
  link.href = new URL(wasmRuntime, import.meta.url).href;
  document.head.append(link);
}
