import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

/**
 * Puts the ONNX models under `onnx/`: copies in the build, read from disk
 * under `vite dev`. Local files, never a CDN: the page must work offline.
 * Not under `models/`, because the server answers `/models/:name` with JSON
 * metadata. (onnxruntime-web's wasm files need no plugin: the page imports
 * them with `?url`, so Vite copies and fingerprints them.)
 */
export const MODELS_DIR = 'onnx';

/** The `*.onnx` files in `dir` (none when it does not exist yet: the exporter may not have run). */
export function modelFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort() : [];
}

export function localModels(modelsDir: string): Plugin {
  return {
    name: 'fmnist-local-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/onnx\/([\w.-]+\.onnx)(\?.*)?$/.exec(req.url ?? '');
        if (!m || !modelFiles(modelsDir).includes(m[1]!)) return next();
        const file = join(modelsDir, m[1]!);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', statSync(file).size);
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      const models = modelFiles(modelsDir);
      for (const name of models) this.emitFile({ type: 'asset', fileName: `${MODELS_DIR}/${name}`, source: readFileSync(join(modelsDir, name)) });
      if (models.length === 0) this.warn(`no *.onnx in ${modelsDir}: the build has no models (export them, then rebuild)`);
    },
  };
}
