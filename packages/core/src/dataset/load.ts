import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from '../errors.ts';
import { DATASET_FILES, type DatasetFile, type Split, type SplitName, splitFromIdx } from './split.ts';

export interface LoadOptions {
  /** Check the official md5 sums (on by default; the check costs ~0.1 s for all four files). */
  verify?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Reads one file of the dataset as stored (gzipped or raw IDX), checking its md5. */
export async function readStoredDatasetFile(dir: string, file: DatasetFile, { verify = true }: LoadOptions = {}): Promise<Uint8Array> {
  const path = join(dir, file.name);
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(
      'missing',
      path,
      `cannot read (${code ?? String(err)}); run \`pnpm data:download --dir ${dir}\` or point FMNIST_DIR / --data-dir at the folder holding the four Fashion-MNIST files`,
    );
  }
  if (verify) {
    const sum = md5Hex(raw);
    if (sum !== file.md5)
      throw new DatasetError('checksum', path, `md5 ${sum} differs from the official ${file.md5}; the file is corrupt or not the official release`);
  }
  return raw;
}

/** Reads one file of the dataset, checks its md5 and returns the decompressed IDX bytes. */
export async function readDatasetFile(dir: string, file: DatasetFile, options: LoadOptions = {}): Promise<Uint8Array> {
  return decompressIfGzip(await readStoredDatasetFile(dir, file, options), join(dir, file.name));
}

/** Accepts gzip or raw IDX bytes, so users may keep the files unpacked. */
export function decompressIfGzip(raw: Uint8Array, path: string): Uint8Array {
  if (raw[0] !== GZIP_MAGIC[0] || raw[1] !== GZIP_MAGIC[1]) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new DatasetError('corrupt-gzip', path, `gzip stream is corrupt or truncated (${(err as Error).message})`);
  }
}

/** Loads the train or test split from `dir`, validated. */
export async function loadSplit(dir: string, split: SplitName, options: LoadOptions = {}): Promise<Split> {
  const files = DATASET_FILES[split];
  const [images, labels] = await Promise.all([readDatasetFile(dir, files.images, options), readDatasetFile(dir, files.labels, options)]);
  return splitFromIdx(images, labels, join(dir, files.images.name), join(dir, files.labels.name));
}
