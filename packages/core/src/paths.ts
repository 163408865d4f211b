import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

/**
 * The directory the user ran the command in: `pnpm --filter <pkg> <script>`
 * runs the script inside the package folder and keeps the caller's folder
 * in INIT_CWD, so relative paths must be read against INIT_CWD, not cwd.
 */
export function callerDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

/** A user-given path (flag or environment variable), resolved against the caller's directory. */
export function userPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(callerDir(env), path);
}

/** The environment variable naming the models folder, for every package (serve, web-demo, their tests and scripts). */
export const MODELS_DIR_ENV = 'FMNIST_MODELS_DIR';
/** Serve's former name for it, still read when FMNIST_MODELS_DIR is unset. Deprecated. */
export const LEGACY_MODELS_DIR_ENV = 'MODELS_DIR';

/** `<repo>/models`: the shipped runs and their ONNX exports. */
export function defaultModelsDir(): string {
  return join(repoRoot(), 'models');
}

/**
 * The models folder, in order: a `--models` flag, FMNIST_MODELS_DIR, the
 * deprecated MODELS_DIR (relative paths resolve against the caller's
 * directory), then `<repo>/models`.
 */
export function resolveModelsDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env[MODELS_DIR_ENV] ?? env[LEGACY_MODELS_DIR_ENV];
  return chosen ? userPath(chosen, env) : defaultModelsDir();
}
