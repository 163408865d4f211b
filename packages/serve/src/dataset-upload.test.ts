import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { idxPair } from '../test/attacks.ts';
import { splitFromUpload, statedCount } from './dataset-upload.ts';
import { HttpError } from './errors.ts';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof HttpError ? e.code : String(e)),
  );

describe('uploaded IDX pairs', () => {
  it('reads the count an IDX header states, raw or gzipped', async () => {
    const { images, labels } = await idxPair(100_000);
    expect(statedCount(images)).toBe(100_000);
    expect(statedCount(labels)).toBe(100_000);
    const raw = new Uint8Array([0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0, 0, 28]);
    expect(statedCount(raw)).toBe(10_000);
    expect(statedCount(gzipSync(raw))).toBe(10_000);
    expect(statedCount(new Uint8Array([0, 0, 8]))).toBeUndefined();
  });

  it('refuses an upload whose header states too many images before inflating it', async () => {
    // A header stating 20,000 images, then a stream cut short: inflating it would fail as corrupt,
    // so only the header check can answer 'too large'.
    const { images, labels } = await idxPair(20_000);
    const cut = (b: Uint8Array) => b.subarray(0, 600);
    expect(await code(splitFromUpload(cut(images), cut(labels), 10_000))).toBe('dataset_too_large');
    expect(await code(splitFromUpload(cut(images), cut(labels), 30_000))).toBe('bad_dataset');
    const small = await idxPair(5);
    expect(await code(splitFromUpload(small.images, small.labels, 10))).toBe('ok');
  });
});
