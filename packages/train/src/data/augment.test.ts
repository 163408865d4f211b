import { describe, expect, it } from 'vitest';
import { augmentInto } from './augment.ts';
import { createRng } from '../random.ts';

// A 28x28 image with an asymmetric bright block in the upper left.
const image = new Uint8Array(784);
for (let y = 4; y < 12; y++) for (let x = 3; x < 9; x++) image[y * 28 + x] = 255;

const run = (opts: Parameters<typeof augmentInto>[4], seed: number) => {
  const out = new Float32Array(784);
  augmentInto(image, 0, out, 0, opts, createRng(seed));
  return out;
};

describe('augmentation', () => {
  it('is the identity with every parameter at zero', () => {
    const out = run({ maxRotationDeg: 0, flipProbability: 0, maxShift: 0 }, 1);
    expect([...out].map((v) => Math.round(v * 255))).toEqual([...image]);
  });

  it('flips horizontally', () => {
    const out = run({ maxRotationDeg: 0, flipProbability: 1, maxShift: 0 }, 1);
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) expect(out[y * 28 + x]).toBeCloseTo(image[y * 28 + 27 - x]! / 255, 5);
  });

  it('shifts by whole pixels, so a shifted image stays crisp', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const out = run({ maxRotationDeg: 0, flipProbability: 0, maxShift: 2 }, seed);
      // Every value is one of the source's (0 or 1): no interpolated edge pixels.
      expect(out.every((v) => v === 0 || Math.abs(v - 1) < 1e-6)).toBe(true);
      expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(48, 4);
    }
  });

  it('is repeatable for a seed, differs across seeds, and keeps values in [0, 1]', () => {
    const opts = { maxRotationDeg: 15, flipProbability: 0.5, maxShift: 2 };
    expect(run(opts, 5)).toEqual(run(opts, 5));
    expect(run(opts, 5)).not.toEqual(run(opts, 6));
    const out = run(opts, 9);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    // Rotation and shift move mass around but keep most of it.
    const mass = out.reduce((s, v) => s + v, 0);
    expect(mass).toBeGreaterThan(0.8 * 48);
    expect(mass).toBeLessThan(1.2 * 48);
  });
});

describe('random erasing', () => {
  it('sets one rectangle of 2-40% of the image to background and leaves the rest', () => {
    const ones = new Uint8Array(784).fill(255);
    for (let seed = 1; seed <= 20; seed++) {
      const out = new Float32Array(784);
      augmentInto(ones, 0, out, 0, { maxRotationDeg: 0, flipProbability: 0, maxShift: 0, eraseProbability: 1 }, createRng(seed));
      const zeros = [...out.keys()].filter((i) => out[i] === 0);
      expect(zeros.length).toBeGreaterThanOrEqual(Math.floor(0.02 * 784 * 0.8));
      expect(zeros.length).toBeLessThanOrEqual(Math.ceil(0.4 * 784 * 1.2));
      // One axis-aligned rectangle: the zeros fill their bounding box exactly.
      const ys = zeros.map((i) => Math.floor(i / 28));
      const xs = zeros.map((i) => i % 28);
      const box = (Math.max(...ys) - Math.min(...ys) + 1) * (Math.max(...xs) - Math.min(...xs) + 1);
      expect(zeros.length).toBe(box);
      expect(out.every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it('with probability 0 draws nothing from the stream (older recipes keep their batches)', () => {
    const opts = { maxRotationDeg: 0, flipProbability: 0.5, maxShift: 2 };
    expect(run({ ...opts, eraseProbability: 0 }, 4)).toEqual(run(opts, 4));
  });
});

describe('pixel dropout', () => {
  const ones = new Uint8Array(784).fill(255);
  const drop = (pixelDrop: number, seed: number) => {
    const out = new Float32Array(784);
    augmentInto(ones, 0, out, 0, { maxRotationDeg: 0, flipProbability: 0, maxShift: 0, pixelDrop }, createRng(seed));
    return out;
  };

  it('sets scattered pixels to background at a rate drawn per image up to the maximum, and leaves the others', () => {
    const shares = Array.from({ length: 200 }, (_, seed) => {
      const out = drop(0.3, seed + 1);
      expect(out.every((v) => v === 0 || v === 1)).toBe(true);
      return out.filter((v) => v === 0).length / 784;
    });
    expect(Math.max(...shares)).toBeLessThan(0.3 + 0.06);
    expect(Math.min(...shares)).toBeLessThan(0.03);
    // Rates are uniform on [0, 0.3]: their mean is near 0.15, and images differ.
    const mean = shares.reduce((s, v) => s + v, 0) / shares.length;
    expect(mean).toBeGreaterThan(0.12);
    expect(mean).toBeLessThan(0.18);
    // Not a block: the dropped pixels of one image are spread over most rows.
    const out = drop(0.3, 7);
    const rows = new Set([...out.keys()].filter((i) => out[i] === 0).map((i) => Math.floor(i / 28)));
    expect(rows.size).toBeGreaterThan(20);
  });

  it('at 0 draws nothing from the stream (older recipes keep their batches)', () => {
    const opts = { maxRotationDeg: 0, flipProbability: 0.5, maxShift: 2 };
    expect(run({ ...opts, pixelDrop: 0 }, 4)).toEqual(run(opts, 4));
  });

  it('reaches only the share of images it is given; the others stay whole', () => {
    const whole = Array.from({ length: 400 }, (_, seed) => {
      const out = new Float32Array(784);
      const opts = { maxRotationDeg: 0, flipProbability: 0, maxShift: 0, pixelDrop: 0.3, pixelDropProbability: 0.25 };
      augmentInto(ones, 0, out, 0, opts, createRng(seed + 1));
      return out.every((v) => v === 1);
    }).filter(Boolean).length;
    // 75% whole, and a few more whose drawn rate dropped nothing; 400 draws: well within ±10%.
    expect(whole / 400).toBeGreaterThan(0.68);
    expect(whole / 400).toBeLessThan(0.85);
  });
});
