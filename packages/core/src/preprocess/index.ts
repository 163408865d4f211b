// Browser-safe: pure functions over raw pixel buffers, no Node built-ins.
export * from './types.ts';
export * from './pipeline.ts';
export { flattenOnWhite, luminance } from './flatten.ts';
export { resizeArea, fitLongestEdge } from './resize.ts';
export { unsharp } from './sharpen.ts';
export { segment, otsu, SEGMENT_TUNING, type Segmentation } from './segment.ts';
export { keepMainComponent, fillHoles, boundingBox, open, components } from './mask.ts';
export { inputFigures, type InputFigures } from './figures.ts';
export { inputRect, garmentRegion, type GarmentRegion } from './region.ts';
