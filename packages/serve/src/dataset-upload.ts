import { constants, gunzipSync } from 'node:zlib';
import { DatasetError, IMAGE_PIXELS, splitFromIdx, type Split } from '@fmnist/core';
import { HttpError } from './errors.ts';

const IMAGES_HEADER = 16;
const LABELS_HEADER = 8;

/**
 * Refuses (413) an uploaded IDX file from its first STATED_COUNT_BYTES, as
 * they arrive (readForm's `inspect`), when its header states more than
 * `maxImages` items: cheap enough for the event loop (statedCount), and the
 * rest of the upload is never read, parsed or joined there, nor sent to a
 * background thread. Two clients posting 1 MB datasets that say they hold
 * a million images kept /healthz's p99 over 50 ms when each upload was read
 * whole first (docs/benchmarks.md, session 20). The rest of the body is
 * left unread, so the answer closes the connection.
 */
export function refuseStatedHead(head: Uint8Array, maxImages: number): void {
  if ((statedCount(head) ?? 0) > maxImages) throw tooLarge(maxImages, { Connection: 'close' });
}

/**
 * An IDX pair (raw or gzipped) as a split of at most `maxImages` images.
 * Synchronous: it runs in a background thread (ImagePool.unpackDataset),
 * never on the event loop. Inflation stops at the largest output such a
 * split can have: a 1 MB upload that would inflate to 1 GiB is refused after
 * about `maxImages` x 784 bytes, whatever its header says (no cap without
 * `maxImages`: the data directory's own files).
 */
export function unpackDataset(images: Uint8Array, labels: Uint8Array, maxImages = Number.POSITIVE_INFINITY): Split {
  for (const raw of [images, labels]) if ((statedCount(raw) ?? 0) > maxImages) throw tooLarge(maxImages);
  const imageBytes = inflateCapped(images, 'images', IMAGES_HEADER + maxImages * IMAGE_PIXELS, maxImages);
  const labelBytes = inflateCapped(labels, 'labels', LABELS_HEADER + maxImages, maxImages);
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
 * A gzipped header is read from compressed prefixes growing by this step,
 * up to STATED_COUNT_BYTES: every prefix but the last gave fewer than the 8
 * bytes wanted, and the last, 16 bytes longer, can add at most about
 * 16 kB (deflate's 1,032:1). Inflating 512 bytes at once, as before, gave a
 * gzip bomb's first half megabyte on the event loop for every upload
 * (docs/benchmarks.md, session 20); the official files' headers take
 * 128-144 bytes (their code tables come first), a bomb's about as many.
 */
const HEADER_STEP = 16;
/** How much of an IDX file statedCount reads, at most. */
export const STATED_COUNT_BYTES = 512;

/**
 * The item count an IDX file states in its header (bytes 4-7, big-endian),
 * read from the first few hundred bytes even when gzipped: an upload that
 * says it holds a million images is refused before anything is inflated.
 * A header that lies is still caught by the capped inflation below.
 */
export function statedCount(raw: Uint8Array): number | undefined {
  let head = raw.subarray(0, 8);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    for (let n = HEADER_STEP; n <= STATED_COUNT_BYTES; n += HEADER_STEP) {
      try {
        head = gunzipSync(raw.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, 8);
      } catch {
        return undefined; // a corrupt stream is named by the full inflation
      }
      if (head.length >= 8 || n >= raw.length) break;
    }
  }
  if (head.length < 8) return undefined;
  return new DataView(head.buffer, head.byteOffset, 8).getUint32(4);
}

function inflateCapped(raw: Uint8Array, field: string, maxBytes: number, maxImages: number): Uint8Array {
  const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
  if (!gzipped) {
    if (raw.length > maxBytes) throw tooLarge(maxImages);
    return raw;
  }
  try {
    return gunzipSync(raw, Number.isFinite(maxBytes) ? { maxOutputLength: maxBytes } : {});
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(maxImages);
    throw new HttpError('bad_dataset', `field '${field}': the gzip stream is corrupt or truncated`);
  }
}

const tooLarge = (maxImages: number, headers?: Record<string, string>) =>
  new HttpError(
    'dataset_too_large',
    `an uploaded dataset may hold at most ${maxImages} images (the server's --max-eval-images); send a smaller IDX pair`,
    headers,
  );
