import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePhotoDir, resolveSamplePhotoDir } from './photos/load.ts';
import { userPath } from './paths.ts';

/**
 * The real-data test gate: tests that need Fashion-MNIST read FMNIST_DIR.
 * Unset, they skip with a message; with REQUIRE_DATA=1 (CI) a missing
 * FMNIST_DIR fails instead of skipping.
 */
export function testDataDir(): string | undefined {
  const dir = process.env.FMNIST_DIR;
  if (dir) return userPath(dir);
  if (process.env.REQUIRE_DATA === '1') throw new Error('REQUIRE_DATA=1 but FMNIST_DIR is unset: point it at the Fashion-MNIST folder');
  console.warn('FMNIST_DIR is unset: skipping tests that need the real Fashion-MNIST data');
  return undefined;
}

/**
 * The photo-test gate: the labelled photos (PHOTOS_DIR, else ../shared/clothing-photos)
 * or, with `samples`, the held-out sample photos (SAMPLE_PHOTOS_DIR, else ../shared/sample-photos).
 * Missing, tests skip with a message; with REQUIRE_DATA=1 they fail instead.
 */
export function testPhotoDir(which: 'photos' | 'samples' = 'photos'): string | undefined {
  const dir = which === 'photos' ? resolvePhotoDir() : resolveSamplePhotoDir();
  if (existsSync(join(dir, 'labels.json'))) return dir;
  if (process.env.REQUIRE_DATA === '1')
    throw new Error(`REQUIRE_DATA=1 but ${dir}/labels.json is missing: set ${which === 'photos' ? 'PHOTOS_DIR' : 'SAMPLE_PHOTOS_DIR'} to the folder`);
  console.warn(`${dir}/labels.json is missing: skipping tests that need the ${which === 'photos' ? 'labelled' : 'sample'} photos`);
  return undefined;
}

/**
 * The exported models a test runs on. They ship in the repository, so a
 * missing one fails the test that needs it, with or without REQUIRE_DATA:
 * never a skip, and never a fixture model in its place. Returns `dir`.
 */
export function requireModelFiles(dir: string, files: readonly string[]): string {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0)
    throw new Error(
      `${missing.map((f) => join(dir, f)).join(', ')} missing: the shipped models belong in the repository (git checkout models/, or pnpm export)`,
    );
  return dir;
}
