import { bytesToInput, IMAGE_PIXELS, onnxInputDims, runClassifier, type SessionRunner } from '@fmnist/core';
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

export interface DeletionCurve {
  /** Pixels removed at each point. */
  removed: number[];
  /** Mean probability of the explained class after removing them (removed[0] = 0: the intact images). */
  meanProbability: number[];
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
): Promise<DeletionCurve> {
  const count = orders.length;
  const meanProbability: number[] = [];
  for (const k of removed) {
    let sum = 0;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const input = bytesToInput(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS));
      for (let i = 0; i < n; i++) {
        const order = orders[start + i]!;
        for (let j = 0; j < k; j++) input[i * IMAGE_PIXELS + order[j]!] = 0;
      }
      const { probabilities } = await runClassifier(classifier, input, onnxInputDims(n));
      for (let i = 0; i < n; i++) sum += probabilities[i * 10 + classes[start + i]!]!;
    }
    meanProbability.push(sum / count);
  }
  return { removed: [...removed], meanProbability };
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
