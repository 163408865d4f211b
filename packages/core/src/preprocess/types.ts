/**
 * A decoded image as the platform hands it over: sharp's `raw()` output on
 * the server, `ImageData` in the browser. Row-major, interleaved channels,
 * 8 bits per channel. 1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA.
 */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** A single-channel float image (values 0..255, white = 255). */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** An RGB float image on white (alpha already flattened). */
export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved r, g, b in 0..255. */
  data: Float32Array;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The two knobs of segmentation that were chosen on validation photos. */
export interface SegmentTuning {
  /**
   * The threshold as a share of Otsu's cut. Otsu separates the two modes of
   * the distance histogram, and a garment's pale or shadowed parts (close to
   * the backdrop's colour) fall under it, so light garments broke into
   * fragments.
   */
  otsuScale: number;
  /** Pieces of the mask inside the frame scoring at least this share of the main one are kept with it (keepMainComponent). */
  partShare: number;
  /** Where colour distances to the backdrop are measured: sRGB, or CIELAB (see colour-space.ts). */
  colourSpace: 'rgb' | 'lab';
  /** In CIELAB, the weight of lightness against the two colour axes. */
  lightnessWeight: number;
  /**
   * The least colour distance that counts as garment even on a perfectly flat backdrop: JPEG noise stays
   * under it. 18 in sRGB; lower in CIELAB with lightness weighted down, where the noise in lightness counts less.
   */
  noiseFloor: number;
}

export interface PreprocessOptions {
  /** Larger images are box-downscaled to this longest edge before segmentation (speed; the result is 28x28 anyway). */
  workingSize?: number;
  /** Separate the garment from its background (default true). Off = the plain corner-colour trim of the original conversion, background kept. */
  segment?: boolean;
  /** Unsharp-mask amount at 28 px (0 = off). */
  sharpen?: number;
  /** Segmentation's threshold and part share (default SEGMENT_TUNING): for the validation grid that chose them. */
  segmentTuning?: Readonly<SegmentTuning>;
}

export interface PreprocessReport {
  /** The input already looked like a Fashion-MNIST image and was only converted to gray. */
  passthrough: boolean;
  /** Working-size dimensions the segmentation ran on. */
  working: { width: number; height: number };
  /** Estimated background colour (RGB). */
  background: [number, number, number];
  /** Colour-distance threshold that separated garment from background. */
  threshold: number;
  /** Share of working pixels kept as garment. */
  foreground: number;
  /** Garment bounding box in working coordinates. */
  box: Box;
  /** True when segmentation found nothing usable and the whole frame (corner-colour trim) was used. */
  fallback: boolean;
}

export interface PreprocessResult {
  /** 28x28 8-bit gray, garment bright on black: Fashion-MNIST bytes. */
  pixels: Uint8Array;
  report: PreprocessReport;
}
