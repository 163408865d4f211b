import { basename, join, resolve } from 'node:path';
import { defaultModelsDir, EXPLAIN_DIR, SHIPPED_MODELS } from '@fmnist/core/node';

/** A shipped model's name (`cnn-photo`, `cnn`, `mlp`) names its run under models/; anything else is a run directory path. */
export function resolveModelArg(arg: string, cwd = process.cwd()): { name: string; dir: string } {
  if ((SHIPPED_MODELS as readonly string[]).includes(arg)) return { name: arg, dir: join(defaultModelsDir(), arg) };
  const dir = resolve(cwd, arg);
  return { name: basename(dir), dir };
}

/** Where the exported file of a shipped model lives: models/<name>.onnx. */
export function shippedOnnxPath(name: string): string {
  return join(defaultModelsDir(), `${name}.onnx`);
}

/**
 * Where the explanation graph of a model goes: `<dir>/explain/<name>.onnx`.
 * A subfolder, not `<name>.explain.onnx` beside the classifier, because
 * serve loads every `models/*.onnx` as a classifier and warms it up with
 * `input` alone, which a graph that needs `class` too would fail.
 */
export function explainOnnxPath(name: string, dir = defaultModelsDir()): string {
  return join(dir, EXPLAIN_DIR, `${name}.onnx`);
}
