import { bytesToInput, createRng, IMAGE_PIXELS, onnxInputDims, runClassifier, type SessionRunner } from '@fmnist/core';
import type { SaliencyForm } from './contract.ts';

/**
 * The deletion test: remove (set to 0, the background) the pixels a map
 * ranks highest and watch the explained class's probability fall; compare
 * with removing as many pixels drawn at random from the garment (the
 * non-zero pixels). A faithful map makes the probability fall much faster.
 */

/** The 10%: 78 of 784 pixels removed, for the ratio the target names. */
export const DELETION_TOP_K = Math.round(0.1 * IMAGE_PIXELS);

/** Pixel indices by decreasing score; equal scores keep index order (stable sort), so the order is reproducible. */
export function rankPixels(scores: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(order);
}

/** The image's non-zero pixels in random order (Fisher-Yates with `rng`), then its zero pixels (removing those changes nothing). */
export function randomGarmentOrder(image: Uint8Array, rng: () => number): Int32Array {
  const garment: number[] = [];
  const background: number[] = [];
  image.forEach((v, i) => (v > 0 ? garment : background).push(i));
  for (let i = garment.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [garment[i], garment[j]] = [garment[j]!, garment[i]!];
  }
  return Int32Array.from([...garment, ...background]);
}

/** A saliency map's pixel scores, before normalisation (which does not change the ranking): see SALIENCY_FORMS. */
export function saliencyScores(form: SaliencyForm, gradient: Float32Array, pixels: Float32Array): Float32Array {
  if (form === 'abs-gradient') return gradient.map(Math.abs);
  return gradient.map((g, j) => (form === 'abs-gradient-x-input' ? Math.abs(g * pixels[j]!) : Math.max(0, g * pixels[j]!)));
}

/** Each image's probability of its explained class, intact and after removing some pixels. */
export interface PerImageProbabilities {
  intact: Float32Array;
  at: Float32Array;
}

export interface DeletionCurve {
  /** Pixels removed at each point. */
  removed: number[];
  /** Mean probability of the explained class after removing them (removed[0] = 0: the intact images). */
  meanProbability: number[];
  /** With `keepAt`: each image's probability intact and after removing `keepAt` pixels (for ratioInterval). */
  perImage?: PerImageProbabilities;
}

/**
 * Mean probability of `classes[i]` for images[i] after zeroing the first
 * `k` pixels of `orders[i]`, for each k in `removed`, run through the
 * classifier session in batches.
 */
export async function deletionCurve(
  classifier: SessionRunner,
  images: Uint8Array,
  classes: ArrayLike<number>,
  orders: readonly Int32Array[],
  removed: readonly number[],
  batch = 250,
  keepAt?: number,
): Promise<DeletionCurve> {
  const count = orders.length;
  const meanProbability: number[] = [];
  if (keepAt !== undefined && (removed[0] !== 0 || !removed.includes(keepAt)))
    throw new RangeError(`keepAt ${keepAt} needs removed to start at 0 and include it`);
  const kept: PerImageProbabilities | undefined = keepAt === undefined ? undefined : { intact: new Float32Array(count), at: new Float32Array(count) };
  for (const k of removed) {
    const keep = kept && (k === 0 ? kept.intact : k === keepAt ? kept.at : undefined);
    let sum = 0;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const input = bytesToInput(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS));
      for (let i = 0; i < n; i++) {
        const order = orders[start + i]!;
        for (let j = 0; j < k; j++) input[i * IMAGE_PIXELS + order[j]!] = 0;
      }
      const { probabilities } = await runClassifier(classifier, input, onnxInputDims(n));
      for (let i = 0; i < n; i++) {
        const p = probabilities[i * 10 + classes[start + i]!]!;
        sum += p;
        if (keep) keep[start + i] = p;
      }
    }
    meanProbability.push(sum / count);
  }
  return { removed: [...removed], meanProbability, ...(kept ? { perImage: kept } : {}) };
}

/**
 * The random baseline's mean drop after removing `k` garment pixels, once per
 * seed, each seed a new draw of every image's pixels (randomGarmentOrder with
 * createRng(seed)). One draw's figure moves with the draw: their mean is the
 * baseline's expected drop on these images, the spread how far one draw can
 * move a ratio.
 */
export async function randomDrops(
  classifier: SessionRunner,
  images: Uint8Array,
  classes: ArrayLike<number>,
  k: number,
  seeds: readonly number[],
): Promise<number[]> {
  const count = classes.length;
  const untouched = Array.from({ length: count }, () => new Int32Array(0));
  // The intact images are the same for every draw: scored once.
  const [intact] = (await deletionCurve(classifier, images, classes, untouched, [0])).meanProbability as [number];
  const drops: number[] = [];
  for (const seed of seeds) {
    const rng = createRng(seed);
    const orders = Array.from({ length: count }, (_, i) => randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
    drops.push(intact - (await deletionCurve(classifier, images, classes, orders, [k])).meanProbability[0]!);
  }
  return drops;
}

/**
 * A bootstrap percentile interval of the deletion ratio, mean drop by the map
 * over mean drop by random pixels, resampling the images (each image's two
 * drops stay paired): how far the ratio measured on these images could move
 * on another draw of as many images. `rng` seeds the resampling.
 */
export function ratioInterval(map: PerImageProbabilities, random: PerImageProbabilities, rng: () => number, resamples = 2000, level = 0.95): [number, number] {
  const n = map.intact.length;
  if (n === 0 || random.intact.length !== n) throw new RangeError('ratioInterval needs the same, non-empty set of images for the map and the random pixels');
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let byMap = 0;
    let byRandom = 0;
    for (let j = 0; j < n; j++) {
      const i = Math.floor(rng() * n);
      byMap += map.intact[i]! - map.at[i]!;
      byRandom += random.intact[i]! - random.at[i]!;
    }
    ratios[r] = byMap / byRandom;
  }
  ratios.sort();
  const tail = (1 - level) / 2;
  const pick = (q: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return [pick(tail), pick(1 - tail)];
}

/** Area between two curves over the removed fraction (trapezoids): how much lower `map` keeps the probability than `random`. */
export function areaBetween(map: DeletionCurve, random: DeletionCurve, pixels = IMAGE_PIXELS): number {
  let area = 0;
  for (let i = 1; i < map.removed.length; i++) {
    const width = (map.removed[i]! - map.removed[i - 1]!) / pixels;
    const gap = random.meanProbability[i]! - map.meanProbability[i]! + (random.meanProbability[i - 1]! - map.meanProbability[i - 1]!);
    area += (width * gap) / 2;
  }
  return area;
}
