import { join } from 'node:path';
import { repoRoot, userPath } from '../paths.ts';

/** Where `pnpm data:download` writes by default: `<repo>/data/fashion-mnist` (git-ignored). */
export function defaultDataDir(): string {
  return join(repoRoot(), 'data', 'fashion-mnist');
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
