import { cividis, IMAGE_HEIGHT, IMAGE_WIDTH, type GarmentRegion, type RawImage } from '@fmnist/core';

/** How strongly the map covers what is under it: low values let the image show through. */
const alphaOf = (v: number) => 0.25 + 0.6 * Math.min(1, Math.max(0, v));

/** The 28x28 input in grey with the heatmap blended on top, at the input's own size (CSS scales it up). */
export function drawInputOverlay(canvas: HTMLCanvasElement, pixels: Uint8Array, heatmap: Float32Array): void {
  canvas.width = IMAGE_WIDTH;
  canvas.height = IMAGE_HEIGHT;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(IMAGE_WIDTH, IMAGE_HEIGHT);
  for (let i = 0; i < IMAGE_WIDTH * IMAGE_HEIGHT; i++) {
    const g = pixels[i]!;
    const c = cividis(heatmap[i]!);
    const a = alphaOf(heatmap[i]!);
    for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.round(g * (1 - a) + c[k]! * a);
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * The photo with the map over the garment: the map's block over the
 * garment in the 28x28 input (`region.input`) stretched over the garment's
 * box in the photo (`region.photo`), smoothly; the rest of the photo as it is.
 */
export function drawPhotoOverlay(canvas: HTMLCanvasElement, photo: RawImage, heatmap: Float32Array, region: GarmentRegion, maxSide = 280): void {
  const scale = Math.min(1, maxSide / Math.max(photo.width, photo.height));
  canvas.width = Math.max(1, Math.round(photo.width * scale));
  canvas.height = Math.max(1, Math.round(photo.height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const source = new OffscreenCanvas(photo.width, photo.height);
  source.getContext('2d')!.putImageData(new ImageData(Uint8ClampedArray.from(photo.data), photo.width, photo.height), 0, 0);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);

  const map = new OffscreenCanvas(IMAGE_WIDTH, IMAGE_HEIGHT);
  const mctx = map.getContext('2d')!;
  const img = mctx.createImageData(IMAGE_WIDTH, IMAGE_HEIGHT);
  for (let i = 0; i < IMAGE_WIDTH * IMAGE_HEIGHT; i++) {
    const c = cividis(heatmap[i]!);
    img.data.set([c[0], c[1], c[2], Math.round(alphaOf(heatmap[i]!) * 255)], i * 4);
  }
  mctx.putImageData(img, 0, 0);
  const { input, photo: box } = region;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(map, input.x, input.y, input.width, input.height, box.x * scale, box.y * scale, box.width * scale, box.height * scale);
}

/** The colour bar: 0 on the left, 1 on the right. */
export function drawScale(canvas: HTMLCanvasElement): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, 1);
  for (let x = 0; x < canvas.width; x++) img.data.set([...cividis(x / (canvas.width - 1)), 255], x * 4);
  ctx.putImageData(img, 0, 0);
}
