import { basename, join, resolve } from 'node:path';
import { repoRoot, SHIPPED_MODELS } from '@fmnist/core/node';

/** The models train ships (core's list), each a run directory at `models/<name>/`. */
export { SHIPPED_MODELS };

export function modelsDir(): string {
  return join(repoRoot(), 'models');
}

/** A shipped model's name (`cnn-photo`, `cnn`, `mlp`) names its run under models/; anything else is a run directory path. */
export function resolveModelArg(arg: string, cwd = process.cwd()): { name: string; dir: string } {
  if ((SHIPPED_MODELS as readonly string[]).includes(arg)) return { name: arg, dir: join(modelsDir(), arg) };
  const dir = resolve(cwd, arg);
  return { name: basename(dir), dir };
}

/** Where the exported file of a shipped model lives: models/<name>.onnx. */
export function shippedOnnxPath(name: string): string {
  return join(modelsDir(), `${name}.onnx`);
}
