import sharp from 'sharp';
import { IMAGE_HEIGHT, IMAGE_WIDTH } from '@fmnist/core';

/** 28x28 gray bytes as a PNG data URL: what the model saw, for clients to show. */
export async function pngDataUrl(pixels: Uint8Array): Promise<string> {
  // b-w keeps it a 1-channel PNG (sharp writes RGB by default), a third of the size.
  const png = await sharp(pixels, { raw: { width: IMAGE_WIDTH, height: IMAGE_HEIGHT, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
