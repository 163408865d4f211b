import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acceptMask, accepts, parsePhotoLabels, photoFoldSplit, photographerFolds, photoMetrics, PhotoSetError, type PhotoEntry } from '../src/index.ts';
import { readPhotoSet } from '../src/node.ts';
import { testPhotoDir } from '../src/test-data.ts';

const entry = (
  file: string,
  sender: number | null,
  label: number | null,
  accept: number[] = label === null ? [] : [label],
  extra: Partial<Record<string, unknown>> = {},
) => ({ file, sender_id: sender, source_label: 'T-Shirt', label, accept, soft: false, ...extra });

describe('photo labels', () => {
  it('parses entries and keeps accept sets', () => {
    const [a, b] = parsePhotoLabels([entry('a.jpg', 1, 7, [7, 5, 9], { soft: true, source_label: 'Shoes' }), entry('b.jpg', 2, null)], 'labels.json');
    expect(a).toEqual({ file: 'a.jpg', senderId: 1, sourceLabel: 'Shoes', label: 7, accept: [7, 5, 9], soft: true });
    expect(b!.accept).toEqual([]);
    expect(accepts(acceptMask(a!.accept), 5)).toBe(true);
    expect(accepts(acceptMask(a!.accept), 6)).toBe(false);
  });

  it.each([
    ['a duplicate file', [entry('a.jpg', 1, 0), entry('a.jpg', 2, 1)], 'duplicate-file'],
    ['a label outside 0..9', [entry('a.jpg', 1, 10)], 'bad-label'],
    ['an accept set not starting with the label', [entry('a.jpg', 1, 0, [1, 0])], 'bad-label'],
    ['an accept set for a photo with no class', [entry('a.jpg', 1, null, [3])], 'bad-label'],
    ['a path instead of a file name', [entry('../a.jpg', 1, 0)], 'bad-labels'],
    ['a non-integer photographer', [entry('a.jpg', 'x' as unknown as number, 0)], 'bad-labels'],
  ])('refuses %s with a typed error', (_, json, code) => {
    expect(() => parsePhotoLabels(json, 'labels.json')).toThrow(PhotoSetError);
    try {
      parsePhotoLabels(json, 'labels.json');
    } catch (err) {
      expect((err as PhotoSetError).code).toBe(code);
    }
  });

  it('names a missing photo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photos-'));
    await writeFile(join(dir, 'labels.json'), JSON.stringify([entry('here.jpg', 1, 0), entry('gone.jpg', 1, 0)]));
    await writeFile(join(dir, 'here.jpg'), 'x');
    await expect(readPhotoSet(dir)).rejects.toMatchObject({ code: 'missing-file', message: expect.stringContaining('gone.jpg') });
  });
});

describe('photographer-grouped folds', () => {
  const entries: PhotoEntry[] = Array.from({ length: 120 }, (_, i) => ({
    file: `${i}.jpg`,
    senderId: i % 17 === 0 ? null : (i * 7) % 23,
    sourceLabel: 'x',
    label: 0,
    accept: [0],
    soft: false,
  }));

  it('never puts one photographer in two folds, and is deterministic', () => {
    const folds = photographerFolds(entries, 5, 42);
    const foldOf = new Map<number, number>();
    entries.forEach((e, i) => {
      if (e.senderId === null) return;
      expect(foldOf.get(e.senderId) ?? folds[i]).toBe(folds[i]);
      foldOf.set(e.senderId, folds[i]!);
    });
    expect(photographerFolds(entries, 5, 42)).toEqual(folds);
    expect(photographerFolds([...entries].reverse(), 5, 42)).toEqual(folds.slice().reverse());
    expect(photographerFolds(entries, 5, 7)).not.toEqual(folds);
  });

  it('splits train and validation with no photographer on both sides', () => {
    const { train, validation } = photoFoldSplit(entries, 5, 2, 42);
    expect(train.length + validation.length).toBe(entries.length);
    const senders = (idx: number[]) => new Set(idx.map((i) => entries[i]!.senderId).filter((s) => s !== null));
    const overlap = [...senders(validation)].filter((s) => senders(train).has(s));
    expect(overlap).toEqual([]);
    expect(validation.length).toBeGreaterThan(10);
  });

  it('refuses more folds than photographers', () => {
    expect(() => photographerFolds(entries.slice(0, 2), 5, 1)).toThrow(/cannot fill 5 folds/);
  });
});

describe('photo metrics', () => {
  it('counts accept-top1 over photos with a class and strict top-1 over non-soft ones', () => {
    const e = (label: number | null, accept: number[], soft: boolean, sourceLabel: string): PhotoEntry => ({
      file: `${Math.random()}`,
      senderId: 1,
      sourceLabel,
      label,
      accept,
      soft,
    });
    const entries = [e(7, [7, 5, 9], true, 'Shoes'), e(0, [0], false, 'T-Shirt'), e(0, [0], false, 'T-Shirt'), e(null, [], false, 'Hat')];
    const m = photoMetrics(entries, [5, 0, 6, 8]);
    expect(m.count).toBe(3);
    expect(m.acceptTop1).toBeCloseTo(2 / 3);
    expect(m.strictCount).toBe(2);
    expect(m.strictTop1).toBeCloseTo(1 / 2);
    expect(m.bySourceLabel.Shoes).toEqual({ count: 1, acceptTop1: 1 });
    expect(m.confusion.Hat![8]).toBe(1);
  });
});

const photoDir = testPhotoDir();
describe.skipIf(!photoDir)('the real photo set', () => {
  it('reads all 1,857 photos, and the 5 folds split by photographer', async () => {
    const set = await readPhotoSet(photoDir!);
    expect(set.entries.length).toBe(1857);
    expect(set.entries.filter((e) => e.accept.length > 0).length).toBe(1455);
    const folds = photographerFolds(set.entries, 5, 42);
    const bySender = new Map<number, Set<number>>();
    set.entries.forEach((e, i) => (bySender.get(e.senderId!) ?? bySender.set(e.senderId!, new Set()).get(e.senderId!)!).add(folds[i]!));
    expect([...bySender.values()].every((s) => s.size === 1)).toBe(true);
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((g) => g === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(20);
  });
});
