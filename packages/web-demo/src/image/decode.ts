import { MAX_IMAGE_PIXELS, sniffImage, type RawImage } from '@fmnist/core';
import { ImageInputError } from './errors.ts';

/**
 * The browser adapter: decode with the platform, orient by EXIF, hand RGBA
 * at full size to core. Shrinking to the working size is left to core's
 * `preprocessImage` (area averaging in shared TypeScript) on purpose:
 * Chromium's and libvips' full decodes are bit-identical on the sample
 * photos, while any resampler of their own (canvas smoothing, sharp's
 * resize) differs by tens of gray levels at the edges, which is enough to
 * move the segmentation.
 */
export async function decodeImageFile(file: Blob, name: string): Promise<RawImage> {
  if (file.size === 0) throw new ImageInputError('empty', `"${name}" is empty.`);
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (!sniffImage(head)) {
    throw new ImageInputError('not-image', `"${name}" is not an image. Drop a photo in PNG, JPEG, WebP, GIF or AVIF format.`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'default' });
  } catch {
    throw new ImageInputError('decode-failed', `"${name}" looks like an image but could not be decoded: the file may be damaged or truncated.`);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_IMAGE_PIXELS)
      throw new ImageInputError('too-large', `"${name}" is ${width}×${height}, more than ${MAX_IMAGE_PIXELS / 1e6} megapixels; use a smaller image.`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageInputError('decode-failed', 'this browser cannot read pixels from a canvas.');
    ctx.drawImage(bitmap, 0, 0);
    return { width, height, channels: 4, data: ctx.getImageData(0, 0, width, height).data };
  } finally {
    bitmap.close();
  }
}
