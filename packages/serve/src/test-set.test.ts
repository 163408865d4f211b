import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASET_FILES, DatasetError, encodeIdx, IMAGE_PIXELS } from '@fmnist/core';
import { testSetLoader } from './test-set.ts';
import { ImagePool } from './threads/image-pool.ts';

describe('the data directory test split', () => {
  const pool = new ImagePool(1);
  const dirs: string[] = [];
  afterAll(async () => {
    await pool.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const dataDir = async (images: Uint8Array, labels: Uint8Array) => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-test-set-'));
    dirs.push(dir);
    await writeFile(join(dir, DATASET_FILES.test.images.name), images);
    await writeFile(join(dir, DATASET_FILES.test.labels.name), labels);
    return dir;
  };
  const pixels = new Uint8Array(4 * IMAGE_PIXELS).map((_, i) => i % 251);
  const labels = gzipSync(encodeIdx([4], new Uint8Array([3, 1, 4, 1])));

  it('is read once, inflated in a background thread, and kept', async () => {
    const load = testSetLoader(await dataDir(gzipSync(encodeIdx([4, 28, 28], pixels)), labels), pool);
    const split = await load();
    expect(split.count).toBe(4);
    expect(Buffer.from(split.images).equals(Buffer.from(pixels))).toBe(true);
    expect(Array.from(split.labels)).toEqual([3, 1, 4, 1]);
    expect(await load()).toBe(split);
  });

  it('names a missing or corrupt file as a dataset error, and tries again on the next call', async () => {
    const missing = testSetLoader(join(tmpdir(), 'fmnist-no-such-dir'), pool);
    await expect(missing()).rejects.toMatchObject({ code: 'missing' });
    const whole = gzipSync(encodeIdx([4, 28, 28], pixels));
    const dir = await dataDir(whole.subarray(0, whole.length - 20), labels);
    const load = testSetLoader(dir, pool);
    const err = await load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toContain(DATASET_FILES.test.images.name);
    await writeFile(join(dir, DATASET_FILES.test.images.name), whole);
    expect((await load()).count).toBe(4);
  });
});
