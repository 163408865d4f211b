import { describe, expect, it } from 'vitest';
import { inputFigures } from './figures.ts';
import { boundingBox, fillHoles, keepMainComponent } from './mask.ts';
import { preprocessImage } from './pipeline.ts';
import { flattenOnWhite, flattenRowOnWhite } from './flatten.ts';
import { fitLongestEdge, resizeArea, resizeRows } from './resize.ts';
import { otsu, SEGMENT_TUNING, segmentOnce } from './segment.ts';
import type { RawImage } from './types.ts';

/** Deterministic noise so "textured background" tests are repeatable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A photo-like RGB image: textured light background (optionally two-toned), a garment-coloured shape painted by `inside`. */
function photo(
  w: number,
  h: number,
  inside: (x: number, y: number) => boolean,
  opts: { garment?: [number, number, number]; twoTone?: boolean; seed?: number } = {},
): RawImage {
  const r = rng(opts.seed ?? 1);
  const [gr, gg, gb] = opts.garment ?? [150, 30, 40];
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const n = (r() - 0.5) * 30;
      if (inside(x, y))
        data.set(
          [gr + n / 2, gg + n / 2, gb + n / 2].map((v) => Math.max(0, Math.min(255, v))),
          p,
        );
      else if (opts.twoTone && y > h * 0.6)
        data.set([150 + n, 120 + n, 90 + n], p); // wooden floor
      else data.set([215 + n, 212 + n, 205 + n], p); // light wall
    }
  }
  return { width: w, height: h, channels: 3, data };
}

const tshirt = (w: number, h: number) => (x: number, y: number) => {
  const cx = w / 2;
  const body = Math.abs(x - cx) < w * 0.18 && y > h * 0.3 && y < h * 0.8;
  const sleeves = Math.abs(x - cx) < w * 0.3 && y > h * 0.3 && y < h * 0.45;
  return body || sleeves;
};

function stats(px: Uint8Array) {
  const f = inputFigures(px);
  return { litBorder: f.litBorder, cx: f.centroid.x, cy: f.centroid.y, box: f.box!, lit: f.litCount };
}

describe('preprocessImage', () => {
  it('passes Fashion-MNIST-like images (28x28, dark border) through unchanged', () => {
    const px = new Uint8Array(784).map((_, i) => (i % 28 > 5 && i % 28 < 22 && i > 140 ? 90 + (i % 150) : 0));
    const { pixels, report } = preprocessImage({ width: 28, height: 28, channels: 1, data: px });
    expect(report.passthrough).toBe(true);
    expect(pixels).toEqual(px);
  });

  it('separates a garment from a textured light background: black border, no grey frame, centred, 28 px long edge', () => {
    const img = photo(300, 240, tshirt(300, 240));
    const { pixels, report } = preprocessImage(img);
    expect(report.passthrough).toBe(false);
    expect(report.fallback).toBe(false);
    const s = stats(pixels);
    // The garment reaches the border only along its long axis (as in Fashion-MNIST); a grey frame would light it all round.
    expect(s.litBorder).toBeLessThan(0.5);
    expect(Math.max(s.box.width, s.box.height)).toBeGreaterThanOrEqual(26);
    // Below the sleeves, beside the body, the corners are background: black.
    expect(pixels[27 * 28]).toBeLessThan(30);
    expect(pixels[27 * 28 + 27]).toBeLessThan(30);
    expect(Math.abs(s.cx - 13.5)).toBeLessThan(2.5);
    expect(Math.abs(s.cy - 13.5)).toBeLessThan(2.5);
    // The shape is a T: the rows of the body are narrower than the sleeve rows. A grey frame would make every row full width.
    const rowWidth = (y: number) => Array.from(pixels.subarray(y * 28, y * 28 + 28)).filter((v) => v > 40).length;
    expect(rowWidth(s.box.y + s.box.height - 3)).toBeLessThan(rowWidth(s.box.y + 2) * 0.8);
  });

  it('handles a two-toned backdrop (wall and floor) the same way', () => {
    const img = photo(240, 320, (x, y) => Math.abs(x - 120) < 45 && y > 60 && y < 260, { twoTone: true, garment: [40, 50, 90] });
    const { pixels, report } = preprocessImage(img);
    expect(report.fallback).toBe(false);
    const s = stats(pixels);
    expect(s.litBorder).toBeLessThan(0.5);
    // A tall narrow rectangle stays tall and narrow: the floor was not taken as garment.
    expect(s.box.height).toBeGreaterThanOrEqual(26);
    expect(s.box.width).toBeLessThan(16);
  });

  it('black trousers on a red bed with a grey cloth at the top edge: CIELAB alone merges them into the grey, sRGB finds them', () => {
    const w = 120;
    const h = 160;
    const r = rng(7);
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const n = (r() - 0.5) * 20;
        const legs = y > 30 && ((x > 25 && x < 58) || (x > 62 && x < 95) || (y < 60 && x > 25 && x < 95));
        const colour = legs ? [25, 25, 28] : y < 22 ? [120, 120, 118] : [205, 60, 65];
        data.set(
          colour.map((v) => Math.max(0, Math.min(255, v + n))),
          (y * w + x) * 3,
        );
      }
    }
    const img: RawImage = { width: w, height: h, channels: 3, data };
    const { report, pixels } = preprocessImage(img);
    const { width, height } = report.working;
    // The working-size image segmentation sees (the pipeline shrinks by area).
    const working = { width, height, data: resizeArea(flattenOnWhite(img).data, w, h, 3, width, height) };
    // With lightness weighted down, black and grey are neighbours: CIELAB alone finds no garment and would keep the backdrop.
    expect(segmentOnce(working, SEGMENT_TUNING).fallback).toBe(true);
    // segment() tries sRGB before giving up: the trousers, without the cloth above them or the bed around them.
    expect(report.fallback).toBe(false);
    expect(report.foreground).toBeLessThan(0.5);
    expect(report.box.y).toBeGreaterThanOrEqual((22 * height) / h);
    expect(stats(pixels).litBorder).toBeLessThan(0.5);
  });

  it('flattens transparency onto white: a cut-out garment on a transparent canvas', () => {
    const w = 120;
    const h = 160;
    const data = new Uint8Array(w * h * 4); // transparent black everywhere...
    for (let y = 30; y < 130; y++) for (let x = 30; x < 90; x++) data.set([20, 20, 20, 255], (y * w + x) * 4); // ...but an opaque dark garment
    const { pixels } = preprocessImage({ width: w, height: h, channels: 4, data });
    const s = stats(pixels);
    expect(s.litBorder).toBeLessThan(0.5);
    expect(s.box.height).toBeGreaterThanOrEqual(26);
    // Dark garment -> bright after negation.
    expect(pixels[14 * 28 + 14]).toBeGreaterThan(200);
  });

  it('keeps a light garment visible on a light background', () => {
    const img = photo(200, 200, (x, y) => Math.abs(x - 100) < 50 && Math.abs(y - 100) < 70, { garment: [250, 250, 250] });
    const { pixels } = preprocessImage(img);
    expect(pixels[14 * 28 + 14]).toBeGreaterThan(30);
    expect(stats(pixels).box.width).toBeLessThan(24);
  });

  it('never fails on degenerate input: flat colour, 1x1, extreme aspect ratios', () => {
    for (const img of [
      { width: 64, height: 64, channels: 3 as const, data: new Uint8Array(64 * 64 * 3).fill(200) },
      { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([7]) },
      { width: 1000, height: 3, channels: 2 as const, data: new Uint8Array(1000 * 3 * 2).fill(128) },
    ]) {
      const { pixels } = preprocessImage(img);
      expect(pixels).toHaveLength(784);
    }
  });

  it('rejects a buffer that does not match its stated size', () => {
    expect(() => preprocessImage({ width: 10, height: 10, channels: 3, data: new Uint8Array(10) })).toThrow(RangeError);
  });
});

describe('building blocks', () => {
  it('otsu splits a bimodal sample between its modes', () => {
    const values = new Float32Array(1000).map((_, i) => (i < 700 ? 10 + (i % 5) : 120 + (i % 7)));
    const t = otsu(values);
    expect(t).toBeGreaterThanOrEqual(14); // the low mode's largest value
    expect(t).toBeLessThan(120); // the high mode's smallest
  });

  it('keepMainComponent keeps the big inner blob over border-touching clutter; fillHoles fills enclosed gaps', () => {
    const w = 20;
    const m = new Uint8Array(w * w);
    for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) m[y * w + x] = 1;
    m[10 * w + 10] = 0; // a hole
    for (let y = 0; y < 20; y++) m[y * w] = 1; // clutter along the left edge
    const kept = fillHoles(keepMainComponent(m, w, w), w, w);
    expect(boundingBox(kept, w, w)).toEqual({ x: 5, y: 5, width: 10, height: 10 });
    expect(kept[10 * w + 10]).toBe(1);
  });

  it('keepMainComponent with a part share keeps the garment pieces inside the frame, not small specks or border clutter', () => {
    const w = 30;
    const m = new Uint8Array(w * w);
    const rect = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = 1;
    };
    rect(5, 5, 15, 15); // the main piece: 100 px
    rect(17, 5, 22, 10); // a second piece of the garment: 25 px, a quarter of the main one
    rect(5, 20, 7, 22); // a speck: 4 px
    rect(0, 24, 30, 30); // clutter along the lower edge: 180 px, scored down for touching the border
    const only = keepMainComponent(m, w, w);
    expect(boundingBox(only, w, w)).toEqual({ x: 5, y: 5, width: 10, height: 10 });
    const parts = keepMainComponent(m, w, w, 0.2);
    expect(boundingBox(parts, w, w)).toEqual({ x: 5, y: 5, width: 17, height: 10 });
    expect(parts[21 * w + 6]).toBe(0);
    expect(parts[27 * w + 15]).toBe(0);
    expect(keepMainComponent(m, w, w, 0.3)).toEqual(only);
  });

  it('resizeArea keeps the mean and fitLongestEdge keeps the aspect ratio', () => {
    const src = new Float32Array(100 * 60).map((_, i) => i % 255);
    const out = resizeArea(src, 100, 60, 1, 28, 17);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(src), 0);
    expect(fitLongestEdge(100, 60, 28)).toEqual({ width: 28, height: 17 });
    expect(fitLongestEdge(3, 900, 28)).toEqual({ width: 1, height: 28 });
  });

  it('shrinking row by row from the bytes equals flattening the whole image first, for every channel layout', () => {
    const rand = rng(11);
    for (const channels of [1, 2, 3, 4] as const) {
      const img: RawImage = { width: 301, height: 157, channels, data: new Uint8Array(301 * 157 * channels).map(() => Math.floor(rand() * 256)) };
      const whole = flattenOnWhite(img);
      const expected = resizeArea(whole.data, 301, 157, 3, 97, 51);
      const buffer = new Float32Array(301 * 3);
      const rowwise = resizeRows((y) => flattenRowOnWhite(img, y, buffer), 301, 157, 3, 97, 51);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - rowwise[i]!));
      expect(worst, `${channels} channels`).toBeLessThan(1e-3);
    }
  });
});
