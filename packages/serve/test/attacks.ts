/**
 * The payloads of issue 12's measured cases, made in a few lines each:
 * shared by the abuse tests and `pnpm bench:abuse`. Images whose header
 * claims a size are made small and patched: the budget is decided from the
 * header, so the pixel data never needs to exist.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { crc32, createGzip, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { encodeIdx } from '@fmnist/core';

/** A multipart body with `files` under their field names (outside vitest: the benchmark uses it too). */
export function multipart(files: Record<string, Uint8Array | Uint8Array[]>, type = 'application/octet-stream'): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(files)) for (const bytes of Array.isArray(v) ? v : [v]) fd.append(k, new Blob([bytes], { type }), 'upload');
  return fd;
}

/** A form encoded as a client sends it (the Fetch API's encoder): the body and its content type, boundary included. */
export async function encodeForm(form: FormData): Promise<{ body: Buffer; type: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), type: request.headers.get('content-type')! };
}

/** `body` as a stream of `size`-byte chunks, as a socket delivers it. */
export function inChunks(body: Buffer, size: number): Readable {
  return Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, k) => body.subarray(k * size, (k + 1) * size)));
}

/** Gzipped bytes of `header` followed by `zeros` zero bytes, streamed so the plain text never exists in memory. */
export async function gzipOfZeros(header: Uint8Array, zeros: number): Promise<Buffer> {
  const block = Buffer.alloc(1024 * 1024);
  async function* parts() {
    yield header;
    for (let left = zeros; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
  }
  return buffer(Readable.from(parts()).pipe(createGzip({ level: 9 })));
}

/** Case 1: an IDX images file whose gzip inflates to about `bytes` (1 GiB: a 1 MB upload). */
export function idxBomb(bytes = 2 ** 30): Promise<Buffer> {
  const n = Math.floor(bytes / 784);
  return gzipOfZeros(idxHeader([n, 28, 28]), n * 784);
}

/** Case 2: a valid gzipped IDX pair of `n` blank images labelled 0 (1,000,000: about 0.8 MB). */
export async function idxPair(n: number): Promise<{ images: Buffer; labels: Buffer }> {
  return { images: await gzipOfZeros(idxHeader([n, 28, 28]), n * 784), labels: await gzipOfZeros(idxHeader([n]), n) };
}

function idxHeader(dims: number[]): Uint8Array {
  return encodeIdx(dims, new Uint8Array(0));
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
  return Buffer.concat([len, Buffer.from(type), data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose header claims width x height (8-bit gray), with `idat` as its data: case 3's 10x4,900,000 strip. */
export function pngClaiming(width: number, height: number, idat = deflateSync(Buffer.alloc(1000)), interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, interlace], 8);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** Case 5: a valid 28x28 PNG followed by `count` empty IDAT chunks before its end (700,000: 8.4 MB). */
export function pngWithEmptyChunks(count = 700_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(28, 0);
  ihdr.writeUInt32BE(28, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const empty = chunk('IDAT', Buffer.alloc(0));
  const rows = Buffer.alloc(28 * 29); // filter byte + 28 pixels per row
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    ...Array<Buffer>(count).fill(empty),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Case 3: a tiny AVIF whose `ispe` box claims width x height (7000x7000 in the issue). */
export async function avifClaiming(width: number, height: number): Promise<Buffer> {
  const avif = Buffer.from(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
      .avif({ effort: 0 })
      .toBuffer(),
  );
  for (let i = avif.indexOf('ispe'); i >= 0; i = avif.indexOf('ispe', i + 4)) {
    avif.writeUInt32BE(width, i + 8); // after 'ispe' come version/flags (4 bytes), width, height
    avif.writeUInt32BE(height, i + 12);
  }
  return avif;
}

/** Case 7: a JPEG whose SOF claims width x height, cut to `length` bytes (65500x700 in 691 bytes in the issue). */
export async function jpegClaiming(width: number, height: number, length?: number): Promise<Buffer> {
  const texture = { type: 'gaussian' as const, mean: 128, sigma: 30 };
  const jpeg = Buffer.from(
    await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000', noise: texture } })
      .jpeg()
      .toBuffer(),
  );
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      break;
    }
  }
  return length === undefined ? jpeg : jpeg.subarray(0, length);
}

/** Case 4's photo: a 1000x1000 JPEG with texture (decoding costs what a real photo costs). */
export function photoJpeg(side = 1000): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
