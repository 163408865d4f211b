import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { resolveModelsDir } from '@fmnist/core/node';

/** Paths of the demo's build, and what it is built from. */
export const PACKAGE_DIR = resolve(import.meta.dirname, '..');
export const REPO_DIR = resolve(PACKAGE_DIR, '..', '..');
export const DIST_DIR = join(PACKAGE_DIR, 'dist');
/**
 * Written once a build has finished, compression included (Vite writes
 * index.html before the compressed copies exist): its time stamps the whole
 * build, and a build killed half-way leaves none. Outside dist, so it is never served.
 */
const STAMP = join(PACKAGE_DIR, '.build-stamp');

const SOURCES = [
  join(PACKAGE_DIR, 'index.html'),
  join(PACKAGE_DIR, 'src'),
  join(PACKAGE_DIR, 'build'),
  join(PACKAGE_DIR, 'vite.config.ts'),
  join(PACKAGE_DIR, 'package.json'),
  join(REPO_DIR, 'packages', 'core', 'src'),
  // The folder the build copies models from (vite.config.ts): <repo>/models, or FMNIST_MODELS_DIR.
  resolveModelsDir(),
];

/** Newest modification time under `path` (files and folders; a deleted model changes its folder's time). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const entry of readdirSync(path)) t = Math.max(t, newest(join(path, entry)));
  return t;
}

/** Why the build is stale, or undefined when dist is newer than every source and model. */
export function staleReason(): string | undefined {
  if (!existsSync(STAMP) || !existsSync(join(DIST_DIR, 'index.html'))) return 'no complete build yet';
  const built = statSync(STAMP).mtimeMs;
  const changed = SOURCES.find((s) => newest(s) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/**
 * How long a build may hold the lock before others take it for abandoned. A
 * first build on a machine compresses the 14 MB wasm runtime at brotli's best
 * (about a minute on two quiet cores, several on busy ones; later builds reuse it).
 */
const BUILD_LOCK_WAIT_MS = 600_000;

/**
 * Builds the demo if it is stale. A lock folder keeps two test workers (or a
 * test and `pnpm start`) from building into the same dist at once.
 */
export async function ensureBuilt(log: (m: string) => void = console.log): Promise<{ built: boolean; reason?: string }> {
  const lock = join(PACKAGE_DIR, '.build-lock');
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building; a lock older than the deadline is left over from a killed build.
      if (Date.now() > deadline || (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > BUILD_LOCK_WAIT_MS))
        rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    const reason = staleReason();
    if (!reason) return { built: false };
    log(`building the web demo: ${reason}`);
    rmSync(STAMP, { force: true });
    // The runner loader: the config imports @fmnist/core (TypeScript sources), which the default bundling loader leaves to Node.
    await build({ configFile: join(PACKAGE_DIR, 'vite.config.ts'), configLoader: 'runner', root: PACKAGE_DIR, logLevel: 'warn' });
    writeFileSync(STAMP, `${new Date().toISOString()}\n`);
    return { built: true, reason };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
