import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, DownloadError } from '../errors.ts';
import { md5Hex } from './load.ts';
import { DATASET_FILES, type DatasetFile } from './split.ts';

/** The official mirror of the Fashion-MNIST release files. */
export const DEFAULT_MIRROR = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export interface DownloadProgress {
  file: string;
  received: number;
  total: number | undefined;
}

export interface DownloadOptions {
  mirror?: string;
  onProgress?: (p: DownloadProgress) => void;
  fetchImpl?: typeof fetch;
}

export function allDatasetFiles(): DatasetFile[] {
  return [DATASET_FILES.train.images, DATASET_FILES.train.labels, DATASET_FILES.test.images, DATASET_FILES.test.labels];
}

/**
 * Downloads one file, checks its md5 and moves it into place atomically
 * (write to a temporary name, then rename), so an interrupted download never
 * leaves a partial file under the real name.
 */
export async function downloadFile(dir: string, file: DatasetFile, options: DownloadOptions = {}): Promise<void> {
  const url = new URL(file.name, options.mirror ?? DEFAULT_MIRROR).href;
  const doFetch = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new DownloadError(
      url,
      `cannot reach the mirror (${cause}). Are you offline? Copy the four files into ${dir} by hand, or set FMNIST_DIR to a folder that has them`,
    );
  }
  if (!response.ok || !response.body) throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    received += chunk.length;
    options.onProgress?.({ file: file.name, received, total });
  }
  const bytes = Buffer.concat(chunks);
  const sum = md5Hex(bytes);
  if (sum !== file.md5) throw new DatasetError('checksum', url, `downloaded md5 ${sum} differs from the official ${file.md5}`);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${file.name}.${process.pid}.part`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, file.name));
  } finally {
    await rm(tmp, { force: true });
  }
}
