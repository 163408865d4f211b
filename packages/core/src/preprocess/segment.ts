import { boundingBox, countSet, fillHoles, keepMainComponent, open } from './mask.ts';
import { toLab } from './colour-space.ts';
import type { Box, RgbImage, SegmentTuning } from './types.ts';

/**
 * Separating the garment from its background: the step that matters most for
 * real photos. A plain corner-colour trim leaves a frame of grey, textured
 * background which, once negated, the models read as a Bag. Instead:
 *  1. estimate the background's main colours from a thin border ring;
 *  2. measure every pixel's colour distance to the nearest of them, in
 *     CIELAB with lightness counting a quarter (colour-space.ts), after a
 *     3x3 blur, so fabric/wood texture does not speckle the mask;
 *  3. threshold the distances at 0.9 of Otsu's cut, never below a floor
 *     for JPEG noise;
 *  4. open the mask, keep the main connected component and the pieces of
 *     the garment beside it (see keepMainComponent), fill its holes.
 */
export interface Segmentation {
  mask: Uint8Array;
  background: [number, number, number];
  threshold: number;
  box: Box;
  /** No usable garment found: the mask is the corner-colour trim of the whole frame. */
  fallback: boolean;
}

function forEachBorder(w: number, h: number, ring: number, fn: (p: number) => void): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x < ring || y < ring || x >= w - ring || y >= h - ring) fn(y * w + x);
    }
  }
}

/** 3x3 box blur, edges clamped, as two separable 3-tap passes. */
function boxBlurRgb(img: RgbImage): Float32Array {
  const { width: w, height: h, data } = img;
  const tmp = new Float32Array(data.length);
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const l = x > 0 ? p - 3 : p;
      const r = x < w - 1 ? p + 3 : p;
      for (let c = 0; c < 3; c++) tmp[p + c] = (data[l + c]! + data[p + c]! + data[r + c]!) / 3;
    }
  }
  const stride = w * 3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const u = y > 0 ? p - stride : p;
      const d = y < h - 1 ? p + stride : p;
      for (let c = 0; c < 3; c++) out[p + c] = (tmp[u + c]! + tmp[p + c]! + tmp[d + c]!) / 3;
    }
  }
  return out;
}

/** Otsu's threshold over values in [0, max]: the cut that maximises between-class variance. */
export function otsu(values: Float32Array, bins = 256): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max <= 0) return 0;
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) hist[Math.min(bins - 1, Math.floor((values[i]! / max) * (bins - 1)))]!++;
  const total = values.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * hist[b]!;
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let b = 0; b < bins; b++) {
    wB += hist[b]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += b * hist[b]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const v = wB * wF * (mB - mF) * (mB - mF);
    if (v > bestVar) {
      bestVar = v;
      best = b;
    }
  }
  return ((best + 0.5) / (bins - 1)) * max;
}

/**
 * The background's main colours: k-means (k = 3) over the border ring's
 * colours, keeping the clusters that cover a real share of the border. Real
 * backdrops are often two-toned (floor and wall, a bedspread's pattern); a
 * garment that runs off the frame covers only a small share, so it is not
 * mistaken for background.
 */
function backgroundModes(img: RgbImage, ring: number, k = 3, minShare = 0.2): [number, number, number][] {
  const list: number[] = [];
  forEachBorder(img.width, img.height, ring, (p) => list.push(img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!));
  const pts = Float32Array.from(list);
  const n = pts.length / 3;
  // Deterministic start: the median colour, then repeatedly the colour farthest from the chosen centres.
  const centres: number[][] = [borderMedian(pts)];
  const nearest = new Float32Array(n).fill(Infinity);
  while (centres.length < k) {
    const last = centres[centres.length - 1]!;
    let far = 0;
    for (let i = 0; i < n; i++) {
      const d = sq(pts, i, last);
      if (d < nearest[i]!) nearest[i] = d;
      if (nearest[i]! > nearest[far]!) far = i;
    }
    centres.push([pts[far * 3]!, pts[far * 3 + 1]!, pts[far * 3 + 2]!]);
  }
  const assign = new Uint8Array(n);
  const sums = new Float64Array(k * 4);
  for (let iter = 0; iter < 6; iter++) {
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = sq(pts, i, centres[0]!);
      for (let c = 1; c < k; c++) {
        const d = sq(pts, i, centres[c]!);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      assign[i] = best;
      sums[best * 4]! += pts[i * 3]!;
      sums[best * 4 + 1]! += pts[i * 3 + 1]!;
      sums[best * 4 + 2]! += pts[i * 3 + 2]!;
      sums[best * 4 + 3]! += 1;
    }
    for (let c = 0; c < k; c++) {
      const m = sums[c * 4 + 3]!;
      if (m > 0) centres[c] = [sums[c * 4]! / m, sums[c * 4 + 1]! / m, sums[c * 4 + 2]! / m];
    }
  }
  const counts = centres.map((_, c) => sums[c * 4 + 3]!);
  const order = centres.map((_, c) => c).sort((a, b) => counts[b]! - counts[a]!);
  const kept = order.filter((c, i) => i === 0 || counts[c]! >= minShare * n);
  return kept.map((c) => centres[c]!.map(Math.round) as [number, number, number]);
}

/** Per-channel median of interleaved RGB points, via 256-bin histograms. */
function borderMedian(pts: Float32Array): number[] {
  const n = pts.length / 3;
  return [0, 1, 2].map((c) => {
    const hist = new Uint32Array(256);
    for (let i = 0; i < n; i++) hist[Math.min(255, Math.max(0, Math.round(pts[i * 3 + c]!)))]!++;
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc * 2 >= n) return v;
    }
    return 255;
  });
}

function sq(pts: Float32Array, i: number, m: number[]): number {
  const dr = pts[i * 3]! - m[0]!;
  const dg = pts[i * 3 + 1]! - m[1]!;
  const db = pts[i * 3 + 2]! - m[2]!;
  return dr * dr + dg * dg + db * db;
}

/** JPEG noise in sRGB colour distance: the plain trim (trimOnly) cuts at twice it. */
const MIN_THRESHOLD = 18;
/**
 * Chosen on validation photos among Otsu scales 0.5-1, part shares 0-0.3,
 * sRGB and CIELAB with lightness weights 0.1-1, noise floors 9-18: the best mean accept-top1
 * over the four grids of docs/runs/segmentation/ (`scripts/segmentation-grid.ts`
 * in packages/train; docs/photos.md, "Segmentation").
 */
export const SEGMENT_TUNING: Readonly<SegmentTuning> = { otsuScale: 0.9, partShare: 0.2, colourSpace: 'lab', lightnessWeight: 0.25, noiseFloor: 12 };

/** A garment must cover at least this share of the frame, or segmentation is deemed to have failed. */
const MIN_FOREGROUND = 0.01;

/**
 * The garment's mask on a working-size photo: pixels far enough in colour
 * from the backdrop's modes (segmentOnce), with a second try in sRGB where
 * CIELAB finds nothing.
 */
export function segment(img: RgbImage, tuning: Readonly<SegmentTuning> = SEGMENT_TUNING): Segmentation {
  const found = segmentOnce(img, tuning);
  if (!found.fallback || tuning.colourSpace !== 'lab') return found;
  // CIELAB with lightness weighted down merges an achromatic garment into an achromatic backdrop of
  // another lightness (black trousers where a grey cloth lies at the frame's edge): before keeping the
  // backdrop (the trim), try sRGB distances, which keep lightness.
  const rgb = segmentOnce(img, { ...tuning, colourSpace: 'rgb', lightnessWeight: 1, noiseFloor: MIN_THRESHOLD });
  return rgb.fallback ? found : rgb;
}

/** Segmentation in the one colour space `tuning` names; `fallback` when it found no garment (then the plain trim's box). */
export function segmentOnce(img: RgbImage, tuning: Readonly<SegmentTuning>): Segmentation {
  const { width: w, height: h } = img;
  const ring = Math.max(1, Math.round(Math.min(w, h) * 0.03));
  const space = tuning.colourSpace === 'lab' ? toLab(img, tuning.lightnessWeight) : img;
  const modes = backgroundModes(space, ring);
  // The report states the backdrop in RGB whatever space the distances are measured in.
  const background = space === img ? modes[0]! : backgroundModes(img, ring)[0]!;
  const blurred = boxBlurRgb(space);
  const dist = new Float32Array(w * h);
  for (let p = 0; p < w * h; p++) {
    let best = Infinity;
    for (const m of modes) {
      const dr = blurred[p * 3]! - m[0];
      const dg = blurred[p * 3 + 1]! - m[1];
      const db = blurred[p * 3 + 2]! - m[2];
      best = Math.min(best, dr * dr + dg * dg + db * db);
    }
    dist[p] = Math.sqrt(best);
  }
  const threshold = Math.max(tuning.noiseFloor, tuning.otsuScale * otsu(dist));

  let mask: Uint8Array = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) mask[p] = dist[p]! > threshold ? 1 : 0;
  // Tiny images (already-small icons) have no room for a 3x3 opening.
  if (Math.min(w, h) >= 24) mask = open(mask, w, h);
  mask = fillHoles(keepMainComponent(mask, w, h, tuning.partShare), w, h);
  const box = boundingBox(mask, w, h);
  if (!box || countSet(mask) < MIN_FOREGROUND * w * h) {
    return { mask: trimMask(dist, w, h, tuning.noiseFloor), background, threshold, box: trimBox(dist, w, h, tuning.noiseFloor), fallback: true };
  }
  return { mask, background, threshold, box, fallback: false };
}

/**
 * The original conversion's trim: everything inside the bounding box of
 * pixels that differ from the corner colour counts as foreground.
 */
function trimBox(dist: Float32Array, w: number, h: number, threshold: number): Box {
  const m = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) m[p] = dist[p]! > threshold ? 1 : 0;
  return boundingBox(m, w, h) ?? { x: 0, y: 0, width: w, height: h };
}

function trimMask(dist: Float32Array, w: number, h: number, threshold: number): Uint8Array {
  const box = trimBox(dist, w, h, threshold);
  const m = new Uint8Array(w * h);
  for (let y = box.y; y < box.y + box.height; y++) m.fill(1, y * w + box.x, y * w + box.x + box.width);
  return m;
}

/**
 * The dataset authors' plain conversion, without segmentation: crop to the
 * box of pixels that differ from the top-left corner's colour (as sharp's
 * trim does) and keep everything inside it, background included.
 */
export function trimOnly(img: RgbImage): Segmentation {
  const { width: w, height: h, data } = img;
  const corner: [number, number, number] = [data[0]!, data[1]!, data[2]!];
  const dist = new Float32Array(w * h);
  for (let p = 0; p < w * h; p++) dist[p] = Math.hypot(data[p * 3]! - corner[0], data[p * 3 + 1]! - corner[1], data[p * 3 + 2]! - corner[2]);
  const threshold = 2 * MIN_THRESHOLD;
  return { mask: trimMask(dist, w, h, threshold), background: corner, threshold, box: trimBox(dist, w, h, threshold), fallback: true };
}
