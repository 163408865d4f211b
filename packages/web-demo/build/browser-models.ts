import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest, Weights } from '../src/inference/manifest.ts';

/**
 * Which weights of each model the browser downloads. int8 (weight-only,
 * DequantizeLinear in the graph) is 4x smaller; it is used where its test
 * accuracy stays within INT8_MAX_DROP_POINTS of float32, which
 * `pnpm --filter @fmnist/web-demo int8-accuracy` measures and
 * test/int8-accuracy.test.ts checks on the full test set.
 */
export const BROWSER_WEIGHTS: Record<string, Weights> = { cnn: 'int8', mlp: 'int8' };
/** The largest accuracy loss (percentage points, full Fashion-MNIST test set) accepted for int8 weights. */
export const INT8_MAX_DROP_POINTS = 0.3;

export interface BrowserModel {
  /** The page's name for it. */
  name: string;
  /** The file on disk, shipped under its own base name. */
  source: string;
  file: string;
  weights: Weights;
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
      return { name, source: join(modelsDir, file), file, weights: file === int8 ? 'int8' : 'float32' };
    });
}

export function manifestOf(models: readonly BrowserModel[]): ModelManifest {
  return Object.fromEntries(models.map((m) => [m.name, { file: m.file, weights: m.weights }]));
}
