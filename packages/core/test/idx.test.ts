import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DATASET_FILES, DatasetError, decompressIfGzip, encodeIdx, loadSplit, parseIdx, readDatasetFile, splitFromIdx } from '../src/node.ts';

function images(n: number, h = 28, w = 28): Uint8Array {
  return encodeIdx(
    [n, h, w],
    Uint8Array.from({ length: n * h * w }, (_, i) => i % 251),
  );
}
const labels = (values: number[]) => encodeIdx([values.length], Uint8Array.from(values));

function fault(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('parseIdx', () => {
  it('reads dims and data of a valid file', () => {
    const parsed = parseIdx(images(3), 'x.idx', 3);
    expect(parsed.dims).toEqual([3, 28, 28]);
    expect(parsed.data.length).toBe(3 * 784);
    expect(parsed.data[300]).toBe(300 % 251);
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = images(1);
    bytes[0] = 0x1f;
    const err = fault(() => parseIdx(bytes, 'bad.idx', 3));
    expect(err.code).toBe('bad-magic');
    expect(err.message).toContain('bad.idx');
  });

  it('rejects a non-byte dtype and a wrong rank', () => {
    const bytes = images(1);
    bytes[2] = 0x0d;
    expect(fault(() => parseIdx(bytes, 'f', 3)).code).toBe('bad-dtype');
    expect(fault(() => parseIdx(images(1), 'f', 1)).code).toBe('bad-magic');
  });

  it('rejects truncated headers and truncated data', () => {
    expect(fault(() => parseIdx(new Uint8Array([0, 0]), 'f')).code).toBe('truncated');
    expect(fault(() => parseIdx(images(2).subarray(0, 10), 'f', 3)).code).toBe('truncated');
    const err = fault(() => parseIdx(images(2).subarray(0, 16 + 784 + 5), 'short.idx', 3));
    expect(err.code).toBe('truncated');
    expect(err.message).toMatch(/need 1568 data bytes, found 789/);
  });

  it('rejects trailing bytes and zero dimensions', () => {
    const long = new Uint8Array(images(1).length + 3);
    long.set(images(1));
    expect(fault(() => parseIdx(long, 'f', 3)).code).toBe('trailing-bytes');
    expect(fault(() => parseIdx(encodeIdx([0, 28, 28], new Uint8Array()), 'f', 3)).code).toBe('bad-dims');
  });
});

describe('splitFromIdx', () => {
  it('pairs images with labels', () => {
    const split = splitFromIdx(images(2), labels([3, 9]), 'i', 'l');
    expect(split.count).toBe(2);
    expect([...split.labels]).toEqual([3, 9]);
  });

  it('rejects mismatched counts, image sizes and labels out of range', () => {
    expect(fault(() => splitFromIdx(images(2), labels([1]), 'i', 'l')).code).toBe('mismatch');
    expect(fault(() => splitFromIdx(images(2, 32, 32), labels([1, 2]), 'i', 'l')).code).toBe('bad-dims');
    expect(fault(() => splitFromIdx(images(2), labels([1, 10]), 'i', 'l')).code).toBe('bad-label');
  });
});

describe('files on disk', () => {
  it('accepts gzip and raw bytes alike, and reports a corrupt gzip stream', () => {
    const raw = images(1);
    expect([...decompressIfGzip(gzipSync(raw), 'f.gz')]).toEqual([...raw]);
    expect(decompressIfGzip(raw, 'f')).toBe(raw);
    const broken = gzipSync(raw).subarray(0, 40);
    expect(fault(() => decompressIfGzip(broken, 'f.gz')).code).toBe('corrupt-gzip');
  });

  it('reports an md5 mismatch and a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-'));
    const file = DATASET_FILES.test.labels;
    await writeFile(join(dir, file.name), gzipSync(labels([1, 2, 3])));
    await expect(readDatasetFile(dir, file)).rejects.toMatchObject({ code: 'checksum' });
    // Without verification the same file parses, so the checksum alone failed it.
    expect([...(await readDatasetFile(dir, file, { verify: false }))]).toEqual([...labels([1, 2, 3])]);
    await expect(loadSplit(dir, 'train')).rejects.toMatchObject({ code: 'missing' });
  });
});
