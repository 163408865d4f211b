import { MAP_KINDS, type MapKind, type ModelCalibration } from '@fmnist/core';

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
  /**
   * Photo-tuned models: the calibration in the model's ONNX metadata. The
   * temperature is already inside the graph (its probabilities are
   * calibrated); the page needs the threshold to flag uncertain answers as the server does.
   */
  calibration?: ModelCalibration;
  /** The model's explanation graph, where the build has one: `explain/<name>.onnx` and which map its `heatmap` is. */
  explain?: ExplainEntry;
}

export interface ExplainEntry {
  /** Path inside MODELS_FOLDER, e.g. `explain/cnn.onnx`. */
  file: string;
  /** The map the graph's `heatmap` output holds. */
  heatmap: MapKind;
}

export type ModelManifest = Record<string, ManifestEntry>;

/**
 * The server's name for the model in `file`: the server names each model
 * after its file. An answer from an explanation graph (`explain/<name>.onnx`,
 * float32) is compared with the server's float32 classifier `<name>`, which
 * has the same weights.
 */
export function serverModelName(entry: ManifestEntry): string {
  return entry.file.replace(/^explain\//, '').replace(/\.onnx$/, '');
}

/** Checks a fetched manifest's shape, so a broken build fails with a message instead of later. */
export function parseManifest(value: unknown): ModelManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('the model manifest is not a JSON object');
  const out: ModelManifest = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const e = raw as Partial<ManifestEntry> | null;
    if (!e || typeof e.file !== 'string' || !/^[\w.-]+\.onnx$/.test(e.file) || (e.weights !== 'int8' && e.weights !== 'float32')) {
      throw new TypeError(`the model manifest's entry for "${name}" needs a file (*.onnx) and weights (int8 or float32)`);
    }
    const entry: ManifestEntry = { file: e.file, weights: e.weights };
    const c = e.calibration;
    if (c !== undefined) {
      if (typeof c !== 'object' || c === null || typeof c.temperature !== 'number' || typeof c.uncertainThreshold !== 'number')
        throw new TypeError(`the model manifest's calibration for "${name}" needs a temperature and an uncertainThreshold (numbers)`);
      entry.calibration = { temperature: c.temperature, uncertainThreshold: c.uncertainThreshold };
    }
    const x = e.explain;
    if (x !== undefined) {
      if (
        typeof x !== 'object' ||
        x === null ||
        typeof x.file !== 'string' ||
        !/^explain\/[\w.-]+\.onnx$/.test(x.file) ||
        !(MAP_KINDS as readonly string[]).includes(x.heatmap)
      ) {
        throw new TypeError(
          `the model manifest's explanation graph for "${name}" needs a file (explain/*.onnx) and a heatmap kind (${MAP_KINDS.join(' or ')})`,
        );
      }
      entry.explain = { file: x.file, heatmap: x.heatmap };
    }
    out[name] = entry;
  }
  return out;
}
