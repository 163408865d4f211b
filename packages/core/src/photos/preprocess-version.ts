import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cached = new Map<string, string>();
const PREPROCESS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'preprocess');

/**
 * A fingerprint of the preprocessing code: the sha256 of every source file
 * of core/src/preprocess (tests aside), in name order. Any change to the
 * steps, their defaults or their constants changes it, so caches of
 * preprocessed photos keyed by it can never serve stale inputs.
 */
export function preprocessVersion(dir: string = PREPROCESS_DIR): string {
  const known = cached.get(dir);
  if (known) return known;
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0');
  }
  const version = hash.digest('hex').slice(0, 16);
  // The shipped code does not change while a process runs; other folders (tests) are read each time.
  if (dir === PREPROCESS_DIR) cached.set(dir, version);
  return version;
}
