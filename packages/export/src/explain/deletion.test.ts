import { createRng, IMAGE_PIXELS, INPUT_CONTRACT, OUTPUT_NAMES, type SessionRunner, type TensorValue } from '@fmnist/core';
import { describe, expect, it } from 'vitest';
import { areaBetween, deletionCurve, randomDrops, randomGarmentOrder, rankPixels, ratioInterval, saliencyScores } from './deletion.ts';

/**
 * A classifier whose class-0 probability is the share of the image's
 * brightness left in its first 10 pixels: deleting those costs it, deleting
 * any other pixel does not.
 */
const watchingTen: SessionRunner = {
  inputNames: [INPUT_CONTRACT.name],
  outputNames: [OUTPUT_NAMES.logits, OUTPUT_NAMES.probabilities],
  async run(feeds) {
    const x = feeds[INPUT_CONTRACT.name]!.data as Float32Array;
    const n = x.length / IMAGE_PIXELS;
    const p = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) {
      let seen = 0;
      for (let j = 0; j < 10; j++) seen += x[i * IMAGE_PIXELS + j]!;
      p[i * 10] = seen / 10;
      p[i * 10 + 1] = 1 - seen / 10;
    }
    const out: Record<string, TensorValue> = {
      [OUTPUT_NAMES.logits]: { type: 'float32', data: p, dims: [n, 10] },
      [OUTPUT_NAMES.probabilities]: { type: 'float32', data: p, dims: [n, 10] },
    };
    return out;
  },
  async release() {},
};

describe('the deletion test', () => {
  it('ranks pixels by decreasing score, ties in pixel order', () => {
    expect([...rankPixels([0.1, 0.5, 0.5, 0, 0.9])]).toEqual([4, 1, 2, 0, 3]);
  });

  it('draws random pixels from the garment first, every pixel once', () => {
    const image = new Uint8Array(IMAGE_PIXELS);
    for (let i = 100; i < 300; i++) image[i] = 200;
    const order = randomGarmentOrder(image, createRng(3));
    expect(new Set(order).size).toBe(IMAGE_PIXELS);
    expect([...order.subarray(0, 200)].every((i) => i >= 100 && i < 300)).toBe(true);
    // Shuffled, not in pixel order.
    expect([...order.subarray(0, 200)]).not.toEqual(Array.from({ length: 200 }, (_, i) => 100 + i));
  });

  it('scores a saliency form from the gradient and the pixels', () => {
    const g = Float32Array.from([-2, 1, 3]);
    const x = Float32Array.from([1, 0.5, 0]);
    expect([...saliencyScores('abs-gradient', g, x)]).toEqual([2, 1, 3]);
    expect([...saliencyScores('abs-gradient-x-input', g, x)]).toEqual([2, 0.5, 0]);
    expect([...saliencyScores('positive-gradient-x-input', g, x)]).toEqual([0, 0.5, 0]);
  });

  it('a map that ranks the pixels the classifier reads first makes its probability fall faster than random ones', async () => {
    const count = 3;
    const images = new Uint8Array(count * IMAGE_PIXELS).fill(255);
    const classes = [0, 0, 0];
    const faithful = Array.from({ length: count }, () => rankPixels(Float32Array.from({ length: IMAGE_PIXELS }, (_, j) => (j < 10 ? 1 : 0))));
    const rng = createRng(1);
    const random = Array.from({ length: count }, (_, i) => randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
    const removed = [0, 5, 10, 78];
    const byMap = await deletionCurve(watchingTen, images, classes, faithful, removed, 2);
    const byRandom = await deletionCurve(watchingTen, images, classes, random, removed, 2);
    expect(byMap.meanProbability.map((p) => +p.toFixed(6))).toEqual([1, 0.5, 0, 0]);
    expect(byRandom.meanProbability[0]).toBeCloseTo(1, 6);
    // 78 of 784 random pixels take about a tenth of the ten watched ones.
    expect(byRandom.meanProbability[3]).toBeGreaterThan(0.6);
    expect(areaBetween(byMap, byRandom)).toBeGreaterThan(0);
  });

  it("keeps each image's probability intact and at one point of the curve, the same as the mean", async () => {
    const count = 5;
    const images = new Uint8Array(count * IMAGE_PIXELS).fill(255);
    const rng = createRng(2);
    const random = Array.from({ length: count }, (_, i) => randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
    const curve = await deletionCurve(watchingTen, images, [0, 0, 0, 0, 0], random, [0, 40, 400], 2, 400);
    const kept = curve.perImage!;
    expect([...kept.intact]).toEqual([1, 1, 1, 1, 1]);
    // Different draws remove a different number of the ten watched pixels.
    expect(new Set(kept.at).size).toBeGreaterThan(1);
    expect(kept.at.reduce((a, b) => a + b, 0) / count).toBeCloseTo(curve.meanProbability[2]!, 6);
    await expect(deletionCurve(watchingTen, images, [0, 0, 0, 0, 0], random, [40, 400], 2, 400)).rejects.toThrow(RangeError);
  });

  it('draws the random baseline once per seed: each draw as deletionCurve scores it, their mean the expected drop', async () => {
    const count = 5;
    const images = new Uint8Array(count * IMAGE_PIXELS).fill(255);
    const k = IMAGE_PIXELS / 2;
    const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
    const drops = await randomDrops(watchingTen, images, new Array(count).fill(0), k, seeds);
    expect(drops).toHaveLength(seeds.length);
    const rng = createRng(7);
    const seventh = Array.from({ length: count }, (_, i) => randomGarmentOrder(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), rng));
    const curve = await deletionCurve(watchingTen, images, new Array(count).fill(0), seventh, [0, k]);
    expect(drops[6]).toBeCloseTo(curve.meanProbability[0]! - curve.meanProbability[1]!, 6);
    expect(new Set(drops).size).toBeGreaterThan(1);
    // Half the pixels drawn at random remove five of the ten watched ones on average: a drop of 0.5.
    expect(drops.reduce((a, b) => a + b, 0) / drops.length).toBeCloseTo(0.5, 1);
  });

  it('brackets the ratio by resampling images: a point when every image drops alike, wider on fewer images', () => {
    const alike = { intact: new Float32Array(50).fill(0.9), at: new Float32Array(50).fill(0.3) };
    const randomAlike = { intact: new Float32Array(50).fill(0.9), at: new Float32Array(50).fill(0.7) };
    const [lo, hi] = ratioInterval(alike, randomAlike, createRng(1));
    expect(lo).toBeCloseTo(3, 5);
    expect(hi).toBeCloseTo(3, 5);

    const noisy = (n: number, seed: number) => {
      const rng = createRng(seed);
      const map = { intact: new Float32Array(n).fill(1), at: Float32Array.from({ length: n }, () => 1 - 0.6 * rng()) };
      const random = { intact: new Float32Array(n).fill(1), at: Float32Array.from({ length: n }, () => 1 - 0.2 * rng()) };
      const ratio = map.at.reduce((s, p) => s + 1 - p, 0) / random.at.reduce((s, p) => s + 1 - p, 0);
      return { ratio, interval: ratioInterval(map, random, createRng(7)) };
    };
    const many = noisy(2000, 3);
    const few = noisy(50, 3);
    expect(many.interval[0]).toBeLessThan(many.ratio);
    expect(many.interval[1]).toBeGreaterThan(many.ratio);
    // Both drops are uniform with means 0.3 and 0.1: the true ratio is 3.
    expect(many.interval[0]).toBeLessThan(3);
    expect(many.interval[1]).toBeGreaterThan(3);
    expect(few.interval[1] - few.interval[0]).toBeGreaterThan(3 * (many.interval[1] - many.interval[0]));
  });
});
