import { promisify } from 'node:util';
import { constants, gunzip, gunzipSync } from 'node:zlib';
import { DatasetError, IMAGE_PIXELS, splitFromIdx, type Split } from '@fmnist/core';
import { HttpError } from './errors.ts';

const gunzipAsync = promisify(gunzip);
const IMAGES_HEADER = 16;
const LABELS_HEADER = 8;

/**
 * An uploaded IDX pair (raw or gzipped) as a split of at most `maxImages`
 * images. Inflation runs on libuv's thread pool, off the event loop, and
 * stops at the largest output such a split can have: a 1 MB upload that
 * would inflate to 1 GiB is refused after about `maxImages` x 784 bytes.
 */
export async function splitFromUpload(images: Uint8Array, labels: Uint8Array, maxImages: number): Promise<Split> {
  for (const raw of [images, labels]) if ((statedCount(raw) ?? 0) > maxImages) throw tooLarge(maxImages);
  const [imageBytes, labelBytes] = await Promise.all([
    inflateCapped(images, 'images', IMAGES_HEADER + maxImages * IMAGE_PIXELS, maxImages),
    inflateCapped(labels, 'labels', LABELS_HEADER + maxImages, maxImages),
  ]);
  let split: Split;
  try {
    split = splitFromIdx(imageBytes, labelBytes, 'images', 'labels');
  } catch (err) {
    if (err instanceof DatasetError) throw new HttpError('bad_dataset', err.message);
    throw err;
  }
  if (split.count > maxImages) throw tooLarge(maxImages);
  return split;
}

/**
 * The item count an IDX file states in its header (bytes 4-7, big-endian),
 * read from the first few hundred bytes even when gzipped: an upload that
 * says it holds a million images is refused before anything is inflated.
 * A header that lies is still caught by the capped inflation below.
 */
export function statedCount(raw: Uint8Array): number | undefined {
  let head = raw.subarray(0, 8);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      // 512 compressed bytes inflate to at most about 512 kB, whatever they hold.
      head = gunzipSync(raw.subarray(0, 512), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, 8);
    } catch {
      return undefined; // a corrupt stream is named by the full inflation
    }
  }
  if (head.length < 8) return undefined;
  return new DataView(head.buffer, head.byteOffset, 8).getUint32(4);
}

async function inflateCapped(raw: Uint8Array, field: string, maxBytes: number, maxImages: number): Promise<Uint8Array> {
  const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
  if (!gzipped) {
    if (raw.length > maxBytes) throw tooLarge(maxImages);
    return raw;
  }
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(maxImages);
    throw new HttpError('bad_dataset', `field '${field}': the gzip stream is corrupt or truncated`);
  }
}

const tooLarge = (maxImages: number) =>
  new HttpError('dataset_too_large', `an uploaded dataset may hold at most ${maxImages} images (the server's --max-eval-images); send a smaller IDX pair`);
