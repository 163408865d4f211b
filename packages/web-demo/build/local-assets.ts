import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { Plugin } from 'vite';
import { MANIFEST_FILE, MODELS_FOLDER } from '../src/inference/manifest.ts';
import { browserModels, manifestOf } from './browser-models.ts';

/**
 * Puts the ONNX models the page runs (see browserModels) and their manifest
 * under `onnx/`: copies in the build, read from disk under `vite dev`.
 * Local files, never a CDN: the page must work offline. (onnxruntime-web's
 * wasm file needs no plugin: the worker imports it with `?url`, so Vite
 * copies and fingerprints it.)
 */
export function localModels(modelsDir: string): Plugin {
  return {
    name: 'fmnist-local-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0];
        const models = browserModels(modelsDir);
        if (path === `/${MODELS_FOLDER}/${MANIFEST_FILE}`) {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(manifestOf(models)));
          return;
        }
        const files = models.flatMap((m) => [{ file: m.file, source: m.source }, ...(m.explain ? [m.explain] : [])]);
        const model = files.find((m) => path === `/${MODELS_FOLDER}/${m.file}`);
        if (!model) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', statSync(model.source).size);
        createReadStream(model.source).pipe(res);
      });
    },
    generateBundle() {
      const models = browserModels(modelsDir);
      for (const m of models) {
        this.emitFile({ type: 'asset', fileName: `${MODELS_FOLDER}/${m.file}`, source: readFileSync(m.source) });
        // Explanation graphs are fetched only when someone turns Explain on.
        if (m.explain) this.emitFile({ type: 'asset', fileName: `${MODELS_FOLDER}/${m.explain.file}`, source: readFileSync(m.explain.source) });
      }
      this.emitFile({ type: 'asset', fileName: `${MODELS_FOLDER}/${MANIFEST_FILE}`, source: `${JSON.stringify(manifestOf(models), null, 2)}\n` });
      if (models.length === 0) this.warn(`no *.onnx in ${modelsDir}: the build has no models (export them, then rebuild)`);
    },
  };
}
