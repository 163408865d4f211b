import { join } from 'node:path';
import { DATASET_FILES, DatasetError, type Split } from '@fmnist/core';
import { readStoredDatasetFile } from '@fmnist/core/node';
import { HttpError } from './errors.ts';
import type { ImagePool } from './threads/image-pool.ts';

/**
 * The test split from the data directory, read once and kept, and inflated
 * in a background thread: on the event loop it held every request for
 * 50-180 ms at the first /evaluate or /samples (docs/benchmarks.md, session
 * 20, bench:abuse case 2). A failed read is not kept (the data may appear
 * later).
 */
export function testSetLoader(dataDir: string, threads: ImagePool): () => Promise<Split> {
  const { images, labels } = DATASET_FILES.test;
  const load = async (): Promise<Split> => {
    const stored = await Promise.all([readStoredDatasetFile(dataDir, images, { verify: false }), readStoredDatasetFile(dataDir, labels, { verify: false })]);
    try {
      return await threads.unpackDataset(...stored);
    } catch (err) {
      // The thread names a fault as the client's; here the files are the server's own.
      if (err instanceof HttpError) throw new DatasetError('corrupt-gzip', join(dataDir, images.name), err.message);
      throw err;
    }
  };
  let cached: Promise<Split> | undefined;
  return () =>
    (cached ??= load().catch((err: unknown) => {
      cached = undefined;
      throw err;
    }));
}
