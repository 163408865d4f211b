/**
 * `onnx/models.json`, written by the build: which file holds each model the
 * page can run, and whose weights (int8 or float32). The page fetches it with
 * the models; the server comparison asks the server for the same file.
 */
export const MANIFEST_FILE = 'models.json';
/** Folder of the models and the manifest, relative to the page. Not `models/`: the server answers `/models/:name` with JSON metadata. */
export const MODELS_FOLDER = 'onnx';

export type Weights = 'int8' | 'float32';

export interface ManifestEntry {
  /** File name inside MODELS_FOLDER, e.g. `cnn.int8.onnx`. */
  file: string;
  weights: Weights;
}

export type ModelManifest = Record<string, ManifestEntry>;

/** The server's name for the model in `file`: the server names each model after its file. */
export function serverModelName(entry: ManifestEntry): string {
  return entry.file.replace(/\.onnx$/, '');
}

/** Checks a fetched manifest's shape, so a broken build fails with a message instead of later. */
export function parseManifest(value: unknown): ModelManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('the model manifest is not a JSON object');
  const out: ModelManifest = {};
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    const e = entry as Partial<ManifestEntry> | null;
    if (!e || typeof e.file !== 'string' || !/^[\w.-]+\.onnx$/.test(e.file) || (e.weights !== 'int8' && e.weights !== 'float32')) {
      throw new TypeError(`the model manifest's entry for "${name}" needs a file (*.onnx) and weights (int8 or float32)`);
    }
    out[name] = { file: e.file, weights: e.weights };
  }
  return out;
}
