import type { Box } from './types.ts';

/**
 * Binary-mask helpers over Uint8Array (1 = garment). Kept separate from the
 * colour statistics so each can be tested on hand-drawn masks.
 */

/**
 * 3x3 erosion (or dilation) with the out-of-image area counted as
 * background. Done as a 3x1 then a 1x3 pass: the square element is
 * separable, and two passes of 3 reads beat one of 9.
 */
export function morph(mask: Uint8Array, w: number, h: number, op: 'erode' | 'dilate'): Uint8Array {
  const erode = op === 'erode';
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? mask[row + x - 1]! : 0;
      const c = mask[row + x]!;
      const r = x < w - 1 ? mask[row + x + 1]! : 0;
      tmp[row + x] = erode ? l & c & r : l | c | r;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const u = y > 0 ? tmp[p - w]! : 0;
      const d = y < h - 1 ? tmp[p + w]! : 0;
      out[p] = erode ? u & tmp[p]! & d : u | tmp[p]! | d;
    }
  }
  return out;
}

/** Opening (erode then dilate): cuts thin bridges between garment and clutter and drops specks. */
export function open(mask: Uint8Array, w: number, h: number): Uint8Array {
  return morph(morph(mask, w, h, 'erode'), w, h, 'dilate');
}

/** Labels 4-connected components; returns labels (0 = none) and each component's size (index = label). */
export function components(mask: Uint8Array, w: number, _h: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  const stack = new Int32Array(mask.length);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = sizes.length;
    let top = 0;
    let size = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const p = stack[--top]!;
      size++;
      const x = p % w;
      // Inlined neighbour visits: this loop runs once per garment pixel.
      let q = p - 1;
      if (x > 0 && mask[q] && !labels[q]) {
        labels[q] = label;
        stack[top++] = q;
      }
      q = p + 1;
      if (x < w - 1 && mask[q] && !labels[q]) {
        labels[q] = label;
        stack[top++] = q;
      }
      q = p - w;
      if (q >= 0 && mask[q] && !labels[q]) {
        labels[q] = label;
        stack[top++] = q;
      }
      q = p + w;
      if (q < mask.length && mask[q] && !labels[q]) {
        labels[q] = label;
        stack[top++] = q;
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/**
 * Keeps the component with the largest score, and with it every component
 * inside the frame (not touching its border) that scores at least
 * `partShare` of it. The score favours size and penalises touching the
 * image border, because clutter (a table edge, a sofa, a hanger rail)
 * usually runs off the frame while the garment usually sits inside it. The
 * extra parts are there because a patterned or creased garment often splits
 * into several pieces at the colour threshold; keeping only the largest
 * piece fed the models a fragment (a sleeve, a patch of check) instead of a
 * shirt.
 */
export function keepMainComponent(mask: Uint8Array, w: number, h: number, partShare = Infinity): Uint8Array {
  const { labels, sizes } = components(mask, w, h);
  if (sizes.length <= 1) return new Uint8Array(mask.length);
  const borderTouch = new Array<number>(sizes.length).fill(0);
  for (let x = 0; x < w; x++) {
    borderTouch[labels[x]!]!++;
    borderTouch[labels[(h - 1) * w + x]!]!++;
  }
  for (let y = 0; y < h; y++) {
    borderTouch[labels[y * w]!]!++;
    borderTouch[labels[y * w + w - 1]!]!++;
  }
  const perimeter = 2 * (w + h);
  const scores = sizes.map((size, l) => (l === 0 ? -Infinity : size * (1 - 0.75 * Math.min(1, (borderTouch[l]! / perimeter) * 4))));
  let best = 1;
  for (let l = 2; l < sizes.length; l++) if (scores[l]! > scores[best]!) best = l;
  const keep = scores.map((score, l) => l === best || (l > 0 && borderTouch[l] === 0 && score >= partShare * scores[best]!));
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = keep[labels[i]!] ? 1 : 0;
  return out;
}

/** Fills holes: background regions not connected to the image border become garment (a logo, a buttoned gap). */
export function fillHoles(mask: Uint8Array, w: number, h: number): Uint8Array {
  const outside = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  let top = 0;
  const seed = (p: number) => {
    if (!mask[p] && !outside[p]) {
      outside[p] = 1;
      stack[top++] = p;
    }
  };
  for (let x = 0; x < w; x++) {
    seed(x);
    seed((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    seed(y * w);
    seed(y * w + w - 1);
  }
  while (top > 0) {
    const p = stack[--top]!;
    const x = p % w;
    const y = (p - x) / w;
    if (x > 0) seed(p - 1);
    if (x < w - 1) seed(p + 1);
    if (y > 0) seed(p - w);
    if (y < h - 1) seed(p + w);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1;
  return out;
}

/** Bounding box of the set pixels, or undefined for an empty mask. */
export function boundingBox(mask: Uint8Array, w: number, h: number): Box | undefined {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

export function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}
