import { userPath } from './dataset/data-dir.ts';

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
