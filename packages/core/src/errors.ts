/** Error codes a dataset file can fail with; each message names the file and the fault. */
export type DatasetErrorCode =
  | 'missing'
  | 'bad-magic'
  | 'bad-dtype'
  | 'bad-dims'
  | 'truncated'
  | 'trailing-bytes'
  | 'corrupt-gzip'
  | 'checksum'
  | 'mismatch'
  | 'bad-label';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly code: DatasetErrorCode,
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`${url}: ${detail}`);
  }
}
