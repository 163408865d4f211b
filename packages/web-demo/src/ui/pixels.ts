import { IMAGE_HEIGHT, IMAGE_WIDTH, type PreprocessReport, type RawImage } from '@fmnist/core';
import { dataUrlToBlob } from './data-url.ts';

/** Paints 8-bit gray pixels (the model input) into a canvas at their own size; CSS scales it up, pixelated. */
export function drawGray(canvas: HTMLCanvasElement, pixels: Uint8Array, width = IMAGE_WIDTH, height = IMAGE_HEIGHT): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Paints the image at the working size the segmentation ran on, with the
 * garment's bounding box, so one can see what segmentation kept. (An
 * illustration: the canvas scaling here is not the one the pipeline used.)
 */
export function drawWorking(canvas: HTMLCanvasElement, raw: RawImage, report: PreprocessReport): void {
  const { width, height } = report.working;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx || raw.channels !== 4) return;
  const full = new OffscreenCanvas(raw.width, raw.height);
  full.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(raw.data), raw.width, raw.height), 0, 0);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(full, 0, 0, width, height);
  if (report.passthrough) return;
  const { box } = report;
  ctx.strokeStyle = '#ff2d55';
  ctx.lineWidth = Math.max(1, Math.round(Math.max(width, height) / 100));
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.width - 1, box.height - 1);
}

/** Gray levels of a (gray) PNG data: URL, e.g. the 28x28 input the server returns. */
export async function grayFromUrl(url: string): Promise<Uint8Array> {
  const blob = dataUrlToBlob(url);
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const out = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4]!;
  return out;
}
