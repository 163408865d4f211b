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

/** Where `pnpm data:download` writes by default: `<repo>/data/fashion-mnist` (git-ignored). */
export function defaultDataDir(): string {
  return join(repoRoot(), 'data', 'fashion-mnist');
}

/**
 * Resolves a user-given path against the directory the user ran the command
 * in: pnpm runs package scripts inside the package folder and keeps the
 * caller's folder in INIT_CWD.
 */
export function userPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.INIT_CWD ?? process.cwd(), path);
}

/**
 * The data directory, in order: the `--data-dir` flag, the `FMNIST_DIR`
 * environment variable (relative paths resolve against the caller's
 * directory), then the default download folder.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.FMNIST_DIR;
  return chosen ? userPath(chosen, env) : defaultDataDir();
}
