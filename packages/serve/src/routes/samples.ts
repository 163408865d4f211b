import { Hono } from 'hono';
import { CLASS_NAMES, DatasetError, IMAGE_PIXELS, createRng, type Split } from '@fmnist/core';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { pngDataUrl } from '../png.ts';

const MAX_SAMPLES = 64;

/** GET /samples?n=12[&seed=7]: random test-set images as PNG data URLs with labels, for the demo's gallery. */
export function samplesRoutes(ctx: ServeContext) {
  const testSplit = (): Promise<Split> =>
    ctx.testSet().catch((err: unknown) => {
      if (err instanceof DatasetError)
        throw new HttpError(
          'no_data',
          'no Fashion-MNIST test set in the data directory: run `pnpm data:download` or start with --data-dir DIR (or FMNIST_DIR)',
        );
      throw err;
    });
  return new Hono().get('/samples', async (c) => {
    const nRaw = c.req.query('n') ?? '12';
    const n = Number(nRaw);
    if (!/^\d{1,3}$/.test(nRaw) || n < 1 || n > MAX_SAMPLES) throw new HttpError('bad_request', `n must be an integer from 1 to ${MAX_SAMPLES}`);
    const seedRaw = c.req.query('seed');
    if (seedRaw !== undefined && !/^\d{1,9}$/.test(seedRaw)) throw new HttpError('bad_request', 'seed must be a non-negative integer');
    const split = await testSplit();
    const random = createRng(seedRaw === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(seedRaw));
    const samples = await Promise.all(
      Array.from({ length: n }, async () => {
        const index = Math.floor(random() * split.count);
        const label = split.labels[index]!;
        const image = await pngDataUrl(split.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS));
        return { index, label, name: CLASS_NAMES[label], image };
      }),
    );
    return c.json({ samples });
  });
}
