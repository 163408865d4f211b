export type PhotoSetErrorCode = 'missing-dir' | 'missing-file' | 'bad-labels' | 'bad-label' | 'duplicate-file' | 'bad-split';

/** A photo set that cannot be used as it is; the message names the file and what to fix. */
export class PhotoSetError extends Error {
  override readonly name = 'PhotoSetError';
  constructor(
    readonly code: PhotoSetErrorCode,
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
