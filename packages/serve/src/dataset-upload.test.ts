import { deflateRawSync, gzipSync } from 'node:zlib';
import { encodeIdx } from '@fmnist/core';
import { describe, expect, it } from 'vitest';
import { idxPair } from '../test/attacks.ts';
import { statedCount, unpackDataset } from './dataset-upload.ts';
import { HttpError } from './errors.ts';

const code = (unpack: () => unknown) => {
  try {
    unpack();
    return 'ok';
  } catch (e) {
    return e instanceof HttpError ? e.code : String(e);
  }
};

describe('uploaded IDX pairs', () => {
  it('reads the count an IDX header states, raw or gzipped', async () => {
    const { images, labels } = await idxPair(100_000);
    expect(statedCount(images)).toBe(100_000);
    expect(statedCount(labels)).toBe(100_000);
    const raw = new Uint8Array([0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0, 0, 28]);
    expect(statedCount(raw)).toBe(10_000);
    expect(statedCount(gzipSync(raw))).toBe(10_000);
    expect(statedCount(new Uint8Array([0, 0, 8]))).toBeUndefined();
    // Code tables first (a dynamic block, as the official files have), and a file name in the gzip header:
    // the header is read from a longer prefix.
    const varied = encodeIdx(
      [300, 28, 28],
      new Uint8Array(300 * 784).map((_, i) => (i * i) % 251),
    );
    const named = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]),
      Buffer.from('t10k-images-idx3-ubyte\0'),
      deflateRawSync(varied, { level: 9 }),
    ]);
    expect(statedCount(named)).toBe(300);
    expect(statedCount(gzipSync(varied).subarray(0, 20))).toBeUndefined();
  });

  it('refuses an upload whose header states too many images before inflating it', async () => {
    // A header stating 20,000 images, then a stream cut short: inflating it would fail as corrupt,
    // so only the header check can answer 'too large'.
    const { images, labels } = await idxPair(20_000);
    const cut = (b: Uint8Array) => b.subarray(0, 600);
    expect(code(() => unpackDataset(cut(images), cut(labels), 10_000))).toBe('dataset_too_large');
    expect(code(() => unpackDataset(cut(images), cut(labels), 30_000))).toBe('bad_dataset');
    const small = await idxPair(5);
    expect(code(() => unpackDataset(small.images, small.labels, 10))).toBe('ok');
  });
});
