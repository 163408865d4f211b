import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testPhotoDir } from '@fmnist/core/testing';
import { inputFigures, preprocessImage } from '@fmnist/core';
import { decodeImage } from '../src/decode.ts';

// Missing, the photo tests skip with a message; under REQUIRE_DATA=1 they fail.
const PHOTOS = testPhotoDir('samples');

interface Shape {
  file: string;
  litBorder: number;
  darkCorners: number;
  offCentre: number;
  longEdge: number;
  lit: number;
  /** Lit share of the outline of the garment's bounding box: about 1 for a grey frame, well under for a garment's silhouette. */
  frame: number;
}

/** Shape figures of a 28x28 result: what a Fashion-MNIST image looks like, in numbers. */
function shape(file: string, px: Uint8Array): Shape {
  const { litBorder, centroid, lit, litCount, box: found } = inputFigures(px);
  const corner = (x0: number, y0: number) => {
    let s = 0;
    for (let y = y0; y < y0 + 3; y++) for (let x = x0; x < x0 + 3; x++) s += px[y * 28 + x]!;
    return s / 9;
  };
  const darkCorners = [corner(0, 0), corner(25, 0), corner(0, 25), corner(25, 25)].filter((v) => v < 40).length;
  const box = found ?? { x: 0, y: 0, width: 1, height: 1 };
  let on = 0;
  let outline = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      if (x === box.x || y === box.y || x === box.x + box.width - 1 || y === box.y + box.height - 1) {
        on += lit[y * 28 + x]!;
        outline++;
      }
    }
  }
  return {
    frame: on / outline,
    file,
    litBorder,
    darkCorners,
    offCentre: Math.hypot(centroid.x - 13.5, centroid.y - 13.5),
    longEdge: Math.max(box.width, box.height),
    lit: litCount / 784,
  };
}

describe.skipIf(!PHOTOS)('preprocessing of the 42 real sample photos', () => {
  it('gives Fashion-MNIST-shaped inputs: black surround without a grey frame, garment centred and filling the long edge', async () => {
    const labels = JSON.parse(await readFile(join(PHOTOS!, 'labels.json'), 'utf8')) as { file: string }[];
    expect(labels).toHaveLength(42);
    const shapes: Shape[] = [];
    for (const { file } of labels) {
      const { pixels, report } = preprocessImage(await decodeImage(await readFile(join(PHOTOS!, file))));
      expect(report.passthrough, file).toBe(false);
      shapes.push(shape(file, pixels));
    }
    for (const s of shapes) {
      // A grey frame (background kept and negated) lights the whole border; the garment alone touches it on its long axis only.
      expect(s.litBorder, s.file).toBeLessThan(0.4);
      // Narrow garments (a column-like dress) fill much of their box's outline; a frame fills it all.
      expect(s.frame, s.file).toBeLessThan(0.8);
      expect(s.longEdge, s.file).toBeGreaterThanOrEqual(26);
      expect(s.offCentre, s.file).toBeLessThan(5);
      expect(s.lit, s.file).toBeGreaterThan(0.08);
      expect(s.lit, s.file).toBeLessThan(0.9);
    }
    expect(shapes.filter((s) => s.frame < 0.6).length).toBeGreaterThanOrEqual(38);
    // Most photos: all four corners black and the garment's centre of mass within 2.5 px of the centre.
    expect(shapes.filter((s) => s.darkCorners >= 3).length).toBeGreaterThanOrEqual(38);
    expect(shapes.filter((s) => s.offCentre < 2.5).length).toBeGreaterThanOrEqual(36);
  });

  it('the plain corner-colour trim (segmentation off) is what leaves the grey frame', async () => {
    // Guards the reason segmentation exists, and that the frame measure above can fail: the trim alone frames most photos.
    const labels = JSON.parse(await readFile(join(PHOTOS!, 'labels.json'), 'utf8')) as { file: string }[];
    let framed = 0;
    for (const { file } of labels) {
      const { pixels } = preprocessImage(await decodeImage(await readFile(join(PHOTOS!, file))), { segment: false });
      if (shape(file, pixels).frame > 0.7) framed++;
    }
    expect(framed).toBeGreaterThanOrEqual(30);
  });
});
