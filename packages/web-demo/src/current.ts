import type { PreprocessResult, RawImage } from '@fmnist/core';

/** The image on screen, kept so a model or backend switch re-runs inference without decoding again. */
export interface Current {
  blob: Blob;
  name: string;
  objectUrl: string;
  decoded: RawImage;
  prep: PreprocessResult;
  input: Float32Array;
  decodeMs: number;
  preprocessMs: number;
}
