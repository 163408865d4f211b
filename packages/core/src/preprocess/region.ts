import { IMAGE_HEIGHT, IMAGE_WIDTH } from '../contract.ts';
import { fitLongestEdge } from './resize.ts';
import type { Box, PreprocessReport } from './types.ts';

/**
 * Where a garment box of `width` x `height` working pixels lands in the
 * 28x28 input: longest edge scaled to 28, centred (steps 5-7 of the
 * pipeline; renderGarment places the garment with this).
 */
export function inputRect(width: number, height: number): Box {
  const size = fitLongestEdge(width, height, Math.max(IMAGE_WIDTH, IMAGE_HEIGHT));
  return { x: Math.floor((IMAGE_WIDTH - size.width) / 2), y: Math.floor((IMAGE_HEIGHT - size.height) / 2), width: size.width, height: size.height };
}

/** The garment in two frames: the 28x28 input (so in any 28x28 map) and the uploaded image. */
export interface GarmentRegion {
  /** The garment's rectangle in the 28x28 input. */
  input: Box;
  /** The same garment box in the source image's pixels (fractional where the working image was shrunk). */
  photo: Box;
  photoSize: { width: number; height: number };
}

/**
 * Maps the preprocessing report's garment box (working coordinates) back to
 * the source image, so that a client can draw a 28x28 map over the garment
 * in the photo: the `input` block of the map covers the `photo` box.
 * `source` is the decoded image's size (after EXIF orientation).
 */
export function garmentRegion(report: PreprocessReport, source: { width: number; height: number }): GarmentRegion {
  const { box, working } = report;
  const sx = source.width / working.width;
  const sy = source.height / working.height;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    input: report.passthrough ? { x: 0, y: 0, width: IMAGE_WIDTH, height: IMAGE_HEIGHT } : inputRect(box.width, box.height),
    photo: { x: round(box.x * sx), y: round(box.y * sy), width: round(box.width * sx), height: round(box.height * sy) },
    photoSize: { width: source.width, height: source.height },
  };
}
