import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { EXPLAIN_DIR, parseCalibration, parseExplanationInfo, type ModelCalibration } from '@fmnist/core';
import type { ExplainEntry, ModelManifest, Weights } from '../src/inference/manifest.ts';

const { onnx } = onnxProto;

/** An ONNX file's metadata_props, as a plain record. */
function metadataOf(file: string): Record<string, string> {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(readFileSync(file));
  } catch (err) {
    throw new Error(`${file} is not a readable ONNX model (${err instanceof Error ? err.message : String(err)}); export it again`);
  }
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}

/**
 * Which weights of each model the browser downloads. int8 (weight-only,
 * DequantizeLinear in the graph) is 4x smaller; it is used where its test
 * accuracy stays within INT8_MAX_DROP_POINTS of float32, which
 * `pnpm --filter @fmnist/web-demo int8-accuracy` measures and
 * test/int8-accuracy.test.ts checks on the full test set.
 */
export const BROWSER_WEIGHTS: Record<string, Weights> = { 'resnet-photo': 'int8', 'cnn-photo': 'int8', cnn: 'int8', mlp: 'int8', resnet: 'int8' };
/** The largest accuracy loss (percentage points, full Fashion-MNIST test set) accepted for int8 weights. */
export const INT8_MAX_DROP_POINTS = 0.3;

export interface BrowserModel {
  /** The page's name for it. */
  name: string;
  /** The file on disk, shipped under its own base name. */
  source: string;
  file: string;
  weights: Weights;
  calibration?: ModelCalibration;
  /** Its explanation graph: the file on disk, and the manifest's entry for it. */
  explain?: ExplainEntry & { source: string };
}

/**
 * The models the page loads, from a folder of exports: each `<name>.onnx`,
 * or `<name>.int8.onnx` instead where BROWSER_WEIGHTS asks for int8 and that
 * file exists (a folder without int8 exports, e.g. the test fixtures, ships float32).
 */
export function browserModels(modelsDir: string): BrowserModel[] {
  if (!existsSync(modelsDir)) return [];
  const files = readdirSync(modelsDir);
  return files
    .filter((f) => f.endsWith('.onnx') && !f.endsWith('.int8.onnx'))
    .sort()
    .map((plain) => {
      const name = plain.slice(0, -'.onnx'.length);
      const int8 = `${name}.int8.onnx`;
      const file = BROWSER_WEIGHTS[name] === 'int8' && files.includes(int8) ? int8 : plain;
      const model: BrowserModel = { name, source: join(modelsDir, file), file, weights: file === int8 ? 'int8' : 'float32' };
      const calibration = parseCalibration(metadataOf(model.source));
      if (calibration) model.calibration = calibration;
      const explain = explanationGraph(modelsDir, name);
      if (explain) model.explain = explain;
      return model;
    });
}

/**
 * `models/explain/<name>.onnx` when it exists and says which map its
 * `heatmap` holds (the server reads the same metadata); a model without one
 * has no Explain switch.
 */
function explanationGraph(modelsDir: string, name: string): BrowserModel['explain'] {
  const source = join(modelsDir, EXPLAIN_DIR, `${name}.onnx`);
  if (!existsSync(source)) return undefined;
  const info = parseExplanationInfo(metadataOf(source));
  return info ? { file: `${EXPLAIN_DIR}/${name}.onnx`, heatmap: info.heatmap, source } : undefined;
}

export function manifestOf(models: readonly BrowserModel[]): ModelManifest {
  return Object.fromEntries(
    models.map((m) => [
      m.name,
      { file: m.file, weights: m.weights, ...(m.calibration ? { calibration: m.calibration } : {}), ...(m.explain ? { explain: { file: m.explain.file, heatmap: m.explain.heatmap } } : {}) },
    ]),
  );
}
