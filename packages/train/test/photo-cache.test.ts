import { appendFile, cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { preprocessImage, renderGarment } from '@fmnist/core';
import { preprocessVersion, readPhotoSet, repoRoot } from '@fmnist/core/node';
import { decodeCachedPhoto, encodeCachedPhoto, loadCachedPhotos } from '../src/photos/cache.ts';
import { decodePhoto } from '../src/photos/decode.ts';

/** A tiny photo set: two synthetic garments on a coloured floor. */
async function photoSet(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'photo-set-'));
  const garment = (w: number, h: number, colour: string) =>
    sharp({ create: { width: 300, height: 240, channels: 3, background: '#c8b496' } })
      .composite([{ input: { create: { width: w, height: h, channels: 3, background: colour } }, left: 60, top: 40 }])
      .jpeg()
      .toBuffer();
  await writeFile(join(dir, 'a.jpg'), await garment(120, 160, '#202840'));
  await writeFile(join(dir, 'b.jpg'), await garment(180, 90, '#803020'));
  await writeFile(
    join(dir, 'labels.json'),
    JSON.stringify([
      { file: 'a.jpg', sender_id: 1, label: 3, accept: [3] },
      { file: 'b.jpg', sender_id: 2, label: null, accept: [] },
    ]),
  );
  return dir;
}

describe('preprocessed-photo cache', () => {
  it('stores what core computes, reads it back, and re-renders the garment from the stored stage', async () => {
    const set = await readPhotoSet(await photoSet());
    const cacheDir = await mkdtemp(join(tmpdir(), 'photo-cache-'));
    const first = await loadCachedPhotos(set, { cacheDir });
    expect(first.built).toBe(2);
    const again = await loadCachedPhotos(set, { cacheDir });
    expect(again.built).toBe(0);
    for (const [i, e] of set.entries.entries()) {
      const expected = preprocessImage(await decodePhoto(await readFile(join(set.dir, e.file)))).pixels;
      expect(again.photos[i]!.pixels).toEqual(expected);
      const stage = again.photos[i]!.stage!;
      // From the stored (byte-rounded) gray levels, the same box renders the same input within a level or two.
      const rerendered = renderGarment(stage, stage.box);
      const worst = rerendered.reduce((m, v, p) => Math.max(m, Math.abs(v - expected[p]!)), 0);
      expect(worst).toBeLessThanOrEqual(2);
    }
  });

  it('is invalidated by other preprocessing options: a new version folder, every photo rebuilt', async () => {
    const set = await readPhotoSet(await photoSet());
    const cacheDir = await mkdtemp(join(tmpdir(), 'photo-cache-'));
    await loadCachedPhotos(set, { cacheDir });
    const changed = await loadCachedPhotos(set, { cacheDir, preprocess: { sharpen: 0 } });
    expect(changed.built).toBe(2);
    expect((await readdir(cacheDir)).length).toBe(2);
  });

  it('keys the version on the preprocessing code: editing a step changes it', async () => {
    const core = join(repoRoot(), 'packages', 'core', 'src', 'preprocess');
    const copy = await mkdtemp(join(tmpdir(), 'preprocess-'));
    await cp(core, copy, { recursive: true });
    const before = preprocessVersion(copy);
    expect(before).toBe(preprocessVersion(core));
    await appendFile(join(copy, 'sharpen.ts'), '\n// a change\n');
    expect(preprocessVersion(copy)).not.toBe(before);
  });

  it('rebuilds an entry that is truncated or foreign', async () => {
    const photo = { pixels: new Uint8Array(784).fill(9) };
    const bytes = encodeCachedPhoto(photo);
    expect(decodeCachedPhoto(bytes)?.pixels).toEqual(photo.pixels);
    expect(decodeCachedPhoto(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    const set = await readPhotoSet(await photoSet());
    const cacheDir = await mkdtemp(join(tmpdir(), 'photo-cache-'));
    const { dir } = await loadCachedPhotos(set, { cacheDir });
    const [file] = await readdir(dir);
    await writeFile(join(dir, file!), 'not a cache entry');
    expect((await loadCachedPhotos(set, { cacheDir })).built).toBe(1);
  });
});
