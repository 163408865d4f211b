import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { IMAGE_HEIGHT, IMAGE_WIDTH } from '@fmnist/core';

/** 28x28 gray bytes as a PNG data URL: what the model saw, for clients to show. */
export async function pngDataUrl(pixels: Uint8Array): Promise<string> {
  // b-w keeps it a 1-channel PNG (sharp writes RGB by default), a third of the size.
  const png = await sharp(pixels, { raw: { width: IMAGE_WIDTH, height: IMAGE_HEIGHT, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** Deflate's stored blocks hold at most this many bytes each (RFC 1951, 3.2.4). */
const STORED_BLOCK = 65535;

/** zlib's Adler-32 (RFC 1950): deferring the modulo to every 5552 bytes keeps the sums within 2^53. */
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < data.length; start += 5552) {
    const end = Math.min(data.length, start + 5552);
    for (let i = start; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream of stored (uncompressed) deflate blocks holding `data`. */
function storedZlib(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK));
  const out = Buffer.alloc(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0 as RFC 1950 asks
  let o = 2;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * STORED_BLOCK, (i + 1) * STORED_BLOCK);
    out[o] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out.writeUInt16LE(chunk.length, o + 1);
    out.writeUInt16LE(chunk.length ^ 0xffff, o + 3);
    out.set(chunk, o + 5);
    o += 5 + chunk.length;
  }
  out.writeUInt32BE(adler32(data), o);
  return out;
}

/**
 * 8-bit RGB pixels as a PNG, in place and synchronously: for the 28x28
 * explanation overlays, where pngjs's per-row filter search took about 1.4 ms
 * and sharp a thread-pool round trip. No filtering and stored deflate blocks,
 * written here rather than by zlib's level 0 (whose call cost more than the
 * copying): 2.4 kB instead of about 0.5, in a fraction of the time, which
 * under explain load is the scarcer resource.
 */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`${width}x${height} RGB is ${width * height * 3} bytes, got ${rgb.length}`);
  const stride = width * 3;
  const scanlines = Buffer.alloc(height * (stride + 1)); // each row: filter byte 0 (none), then the row
  for (let y = 0; y < height; y++) scanlines.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', storedZlib(scanlines)), pngChunk('IEND', Buffer.alloc(0))]);
}
