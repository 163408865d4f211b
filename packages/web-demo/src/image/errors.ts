/** Why a file could not become a model input; each code has its own message for the user. */
export type ImageErrorCode = 'empty' | 'not-image' | 'decode-failed' | 'too-large';

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
