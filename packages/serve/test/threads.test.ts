import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { gzipSync } from 'node:zlib';
import { encodeIdx, float32Tensor, IMAGE_PIXELS } from '@fmnist/core';
import { DEFAULT_DECODE } from '../src/decode.ts';
import { HttpError } from '../src/errors.ts';
import { prepareImage } from '../src/prepare.ts';
import { ortSessionFactory } from '../src/ort-session.ts';
import { ImagePool } from '../src/threads/image-pool.ts';
import { threadSessionFactory } from '../src/threads/thread-session.ts';
import { fixtureModel, randomWeights } from '@fmnist/export/test/fixture-model';
import { idxBomb } from './attacks.ts';

const model = fixtureModel(randomWeights(7, 0.2), 'fixture');

describe('sessions in a thread', () => {
  it('give the same outputs as a session in the calling thread', async () => {
    const input = new Float32Array(3 * IMAGE_PIXELS).map((_, i) => ((i * 37) % 101) / 100);
    const feeds = () => ({ input: float32Tensor(input.slice(), [3, 1, 28, 28]) });
    const [threaded, local] = await Promise.all([threadSessionFactory(model, 'cpu'), ortSessionFactory(model, 'cpu')]);
    try {
      expect(threaded.inputNames).toEqual(local.inputNames);
      expect(threaded.outputNames).toEqual(local.outputNames);
      const [a, b] = await Promise.all([threaded.run(feeds()), local.run(feeds())]);
      for (const name of local.outputNames) {
        expect(a[name]!.dims).toEqual(b[name]!.dims);
        expect(Array.from(a[name]!.data as Float32Array)).toEqual(Array.from(b[name]!.data as Float32Array));
      }
    } finally {
      await Promise.all([threaded.release(), local.release()]);
    }
  });

  it('fail to open on CUDA with the reason, as in-thread sessions do (no CUDA libraries here)', async () => {
    const inThread = await ortSessionFactory(model, 'cuda').then(
      () => 'opened',
      (e: Error) => e.message,
    );
    const threaded = await threadSessionFactory(model, 'cuda').then(
      () => 'opened',
      (e: Error) => e.message,
    );
    expect(threaded).toBe(inThread);
  });
});

describe('the image pool', () => {
  const pool = new ImagePool(2);
  afterAll(() => pool.close());

  it('prepares a photo exactly as the calling thread does', async () => {
    // In an ArrayBuffer of its own, as an upload is read (sharp's output buffers cannot be transferred).
    const photo = new Uint8Array(
      await sharp({ create: { width: 300, height: 200, channels: 3, background: '#d8d2c4' } })
        .composite([{ input: { create: { width: 120, height: 150, channels: 3, background: '#203060' } }, left: 90, top: 25 }])
        .jpeg()
        .toBuffer(),
    );
    const local = await prepareImage(photo, DEFAULT_DECODE, {});
    // A part of a larger buffer is copied to the thread; a buffer of its own is moved there (no copy for the GC).
    const inLarger = new Uint8Array(photo.length + 16);
    inLarger.set(photo, 16);
    const part = inLarger.subarray(16);
    const fromPart = await pool.prepare(part, DEFAULT_DECODE, {});
    expect(part.length).toBe(photo.length);
    const threaded = await pool.prepare(photo, DEFAULT_DECODE, {});
    expect(photo.buffer.byteLength).toBe(0);
    for (const p of [threaded, fromPart]) {
      expect(Array.from(p.pixels)).toEqual(Array.from(local.pixels));
      expect(p.report).toEqual(local.report);
    }
  });

  it('runs every thread from the start, so that none starts under load', async () => {
    const fresh = new ImagePool(2);
    try {
      expect(fresh.running).toBe(2);
      await fresh.warm();
      expect(fresh.running).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('turns a corrupt upload into the same client error', async () => {
    // A JPEG's first segment header, and nothing after it.
    const truncated = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
    const err = await pool.prepare(truncated, DEFAULT_DECODE, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('corrupt_image');
    expect((err as HttpError).status).toBe(422);
  });
});

describe('datasets in the image pool', () => {
  const pool = new ImagePool(1);
  afterAll(() => pool.close());
  const n = 300;
  const pixels = new Uint8Array(n * IMAGE_PIXELS).map((_, i) => (i * 31) % 256);
  const classes = new Uint8Array(n).map((_, i) => (i * 7) % 10);

  it('unpacks an IDX pair, gzipped or raw, into the images and labels it holds', async () => {
    for (const pack of [(b: Uint8Array) => new Uint8Array(gzipSync(b)), (b: Uint8Array) => b]) {
      const images = pack(encodeIdx([n, 28, 28], pixels));
      const labels = pack(encodeIdx([n], classes));
      const split = await pool.unpackDataset(images, labels, 1000);
      expect(split.count).toBe(n);
      expect(Buffer.from(split.images).equals(Buffer.from(pixels))).toBe(true);
      expect(Array.from(split.labels)).toEqual(Array.from(classes));
    }
  });

  it('answers a bomb and a corrupt stream with the client errors, and keeps working after', async () => {
    const refusal = async (images: Uint8Array, labels: Uint8Array, max: number) => {
      const err = await pool.unpackDataset(images, labels, max).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      return `${(err as HttpError).status} ${(err as HttpError).code}`;
    };
    // Each call moves its buffers to the thread: every call gets its own.
    const labels = () => new Uint8Array(gzipSync(encodeIdx([n], classes)));
    // 1 GiB of zeros stated in its header; the same stream with a header that understates its count.
    expect(await refusal(new Uint8Array(await idxBomb()), labels(), 10_000)).toBe('413 dataset_too_large');
    const lying = encodeIdx([n, 28, 28], new Uint8Array(50_000 * IMAGE_PIXELS));
    expect(await refusal(new Uint8Array(gzipSync(lying)), labels(), 10_000)).toBe('413 dataset_too_large');
    const whole = new Uint8Array(gzipSync(encodeIdx([n, 28, 28], pixels)));
    const cut = whole.slice(0, whole.length - 100);
    expect(await refusal(cut, labels(), 1000)).toBe('400 bad_dataset');
    expect((await pool.unpackDataset(new Uint8Array(gzipSync(encodeIdx([n, 28, 28], pixels))), labels(), 1000)).count).toBe(n);
  });
});
