import type { Split } from '@fmnist/core';
import { loadSplit } from '@fmnist/core/node';

/**
 * The test split from the data directory, read once and kept: inflating it
 * is tens of milliseconds of the event loop, which every /evaluate and
 * /samples used to pay. A failed read is not kept (the data may appear later).
 */
export function testSetLoader(dataDir: string): () => Promise<Split> {
  let cached: Promise<Split> | undefined;
  return () =>
    (cached ??= loadSplit(dataDir, 'test', { verify: false }).catch((err: unknown) => {
      cached = undefined;
      throw err;
    }));
}
