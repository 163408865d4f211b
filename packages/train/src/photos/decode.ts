import sharp from 'sharp';
import type { RawImage } from '@fmnist/core';

/**
 * Decodes a photo the way the server does (packages/serve/src/decode.ts:
 * EXIF auto-orientation, sRGB, full-size raw pixels), so that training sees
 * the same 28x28 inputs that `/classify` will compute for the same file.
 */
export async function decodePhoto(bytes: Uint8Array): Promise<RawImage> {
  const { data, info } = await sharp(bytes, { failOn: 'error' }).rotate().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as RawImage['channels'],
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
