import { IMAGE_HEIGHT, IMAGE_WIDTH } from '../contract.ts';
import { boundingBox } from './mask.ts';
import type { Box } from './types.ts';

/** Gray levels above this count as garment in a converted input. */
export const LIT = 40;

/** What a converted 28x28 input (garment bright on black) looks like, in numbers: how the tests judge a conversion. */
export interface InputFigures {
  /** Share of border pixels that are lit: a grey frame lights them all, a garment only along its long axis. */
  litBorder: number;
  /** Brightness-weighted centre, in pixels. */
  centroid: { x: number; y: number };
  /** 1 where the pixel is lit. */
  lit: Uint8Array;
  litCount: number;
  /** Bounding box of the lit pixels (undefined when none is). */
  box: Box | undefined;
}

export function inputFigures(px: Uint8Array): InputFigures {
  const w = IMAGE_WIDTH;
  const h = IMAGE_HEIGHT;
  let litBorder = 0;
  let border = 0;
  let mass = 0;
  let cx = 0;
  let cy = 0;
  const lit = new Uint8Array(w * h);
  let litCount = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = px[y * w + x]!;
      const on = v > LIT ? 1 : 0;
      lit[y * w + x] = on;
      litCount += on;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) {
        litBorder += on;
        border++;
      }
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  return { litBorder: litBorder / border, centroid: { x: cx / mass, y: cy / mass }, lit, litCount, box: boundingBox(lit, w, h) };
}
