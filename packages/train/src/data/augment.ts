import { IMAGE_HEIGHT, IMAGE_WIDTH, INPUT_CONTRACT } from '@fmnist/core';

export interface AugmentOptions {
  /** Maximum rotation either way, in degrees. */
  maxRotationDeg: number;
  /** Probability of a horizontal flip (Fashion-MNIST garments are near-symmetric left to right). */
  flipProbability: number;
  /** Maximum shift either way, in whole pixels: a random crop of the image zero-padded by this many pixels. */
  maxShift: number;
  /** Probability of random erasing (Zhong et al. 2020): one rectangle set to background (absent: 0). */
  eraseProbability?: number;
  /**
   * Input dropout without rescaling (absent: 0): each image draws a rate
   * uniformly from [0, pixelDrop] and sets each pixel to background (0) with
   * that rate. Teaches the model that scattered missing pixels are not
   * evidence, so removing pixels measures what they meant to it
   * (docs/explanations.md, the deletion test).
   */
  pixelDrop?: number;
  /** Share of images that get pixel dropout at all (absent: 1); the others stay whole. */
  pixelDropProbability?: number;
}

/** Random erasing's rectangle: 2-40% of the image, aspect ratio 0.3-3.3 (the paper's settings). */
const ERASE_AREA: readonly [number, number] = [0.02, 0.4];
const ERASE_ASPECT: readonly [number, number] = [0.3, 1 / 0.3];

export const DEFAULT_AUGMENT: AugmentOptions = { maxRotationDeg: 15, flipProbability: 0.5, maxShift: 2 };

/**
 * Writes one randomly rotated, flipped and shifted copy of a 28x28 byte image
 * into `out` as model input (float, scaled to [0, 1]). Inverse mapping with
 * bilinear sampling; pixels from outside the image are background (0).
 */
export function augmentInto(src: Uint8Array, srcOffset: number, out: Float32Array, outOffset: number, opts: AugmentOptions, rng: () => number): void {
  transformInto(src, srcOffset, out, outOffset, opts, rng);
  // Drawn only when enabled, so recipes without erasing keep their random streams.
  if ((opts.eraseProbability ?? 0) > 0 && rng() < opts.eraseProbability!) eraseInto(out, outOffset, rng);
  if ((opts.pixelDrop ?? 0) > 0 && (opts.pixelDropProbability === undefined || rng() < opts.pixelDropProbability))
    dropPixelsInto(out, outOffset, rng() * opts.pixelDrop!, rng);
}

function dropPixelsInto(out: Float32Array, offset: number, rate: number, rng: () => number): void {
  for (let i = offset; i < offset + IMAGE_HEIGHT * IMAGE_WIDTH; i++) if (rng() < rate) out[i] = 0;
}

/**
 * Sets one random rectangle of the 28x28 image at `offset` to 0 (the
 * background): an area fraction and log-uniform aspect ratio are drawn
 * until the rectangle fits, at most ten times, as the paper does.
 */
function eraseInto(out: Float32Array, offset: number, rng: () => number): void {
  const h = IMAGE_HEIGHT;
  const w = IMAGE_WIDTH;
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = (ERASE_AREA[0] + rng() * (ERASE_AREA[1] - ERASE_AREA[0])) * h * w;
    const aspect = Math.exp(Math.log(ERASE_ASPECT[0]) + rng() * (Math.log(ERASE_ASPECT[1]) - Math.log(ERASE_ASPECT[0])));
    const eh = Math.round(Math.sqrt(area * aspect));
    const ew = Math.round(Math.sqrt(area / aspect));
    if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
    const y0 = Math.floor(rng() * (h - eh + 1));
    const x0 = Math.floor(rng() * (w - ew + 1));
    for (let y = y0; y < y0 + eh; y++) out.fill(0, offset + y * w + x0, offset + y * w + x0 + ew);
    return;
  }
}

function transformInto(src: Uint8Array, srcOffset: number, out: Float32Array, outOffset: number, opts: AugmentOptions, rng: () => number): void {
  const h = IMAGE_HEIGHT;
  const w = IMAGE_WIDTH;
  const angle = ((rng() * 2 - 1) * opts.maxRotationDeg * Math.PI) / 180;
  const flip = rng() < opts.flipProbability ? -1 : 1;
  // Whole-pixel shifts: a fractional shift blurs every training image through
  // bilinear sampling, and a model trained on blurred images does worse on crisp ones.
  const tx = Math.round((rng() * 2 - 1) * opts.maxShift);
  const ty = Math.round((rng() * 2 - 1) * opts.maxShift);
  const scale = INPUT_CONTRACT.scale;
  if (angle === 0) {
    // No rotation, whole-pixel shift: every output pixel is one source pixel (or background), so copy.
    for (let y = 0; y < h; y++) {
      const sy = y - ty;
      for (let x = 0; x < w; x++) {
        const sx = flip === 1 ? x - tx : w - 1 - x + tx;
        out[outOffset + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[srcOffset + sy * w + sx]! * scale : 0;
      }
    }
    return;
  }
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Destination -> source: undo the shift, the rotation, then the flip.
      const dx = x - cx - tx;
      const dy = y - cy - ty;
      const sx = flip * (cos * dx + sin * dy) + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const in0 = y0 >= 0 && y0 < h;
      const in1 = y0 + 1 >= 0 && y0 + 1 < h;
      const inA = x0 >= 0 && x0 < w;
      const inB = x0 + 1 >= 0 && x0 + 1 < w;
      const row0 = srcOffset + y0 * w;
      const row1 = row0 + w;
      const p00 = in0 && inA ? src[row0 + x0]! : 0;
      const p01 = in0 && inB ? src[row0 + x0 + 1]! : 0;
      const p10 = in1 && inA ? src[row1 + x0]! : 0;
      const p11 = in1 && inB ? src[row1 + x0 + 1]! : 0;
      out[outOffset + y * w + x] = ((p00 * (1 - fx) + p01 * fx) * (1 - fy) + (p10 * (1 - fx) + p11 * fx) * fy) * scale;
    }
  }
}
