import type { PreprocessOptions } from '@fmnist/core';
import type { DecodeOptions } from '../decode.ts';
import type { ErrorCode } from '../errors.ts';
import type { PreparedImage } from '../prepare.ts';
import type { Provider } from '../registry.ts';

/** A tensor as it crosses a thread boundary: ort.Tensor objects do not survive structured cloning. */
export type WireTensor = { type: 'float32'; data: Float32Array; dims: readonly number[] } | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

/** A session thread hosts several sessions, addressed by id. */
export type SessionTask =
  | { op: 'open'; id: number; bytes: Uint8Array; provider: Provider; threads: number }
  | { op: 'run'; id: number; feeds: Record<string, WireTensor>; outputs?: readonly string[] }
  | { op: 'close'; id: number };

export interface SessionDescription {
  inputNames: string[];
  outputNames: string[];
}

export type SessionTaskResult = SessionDescription | Record<string, WireTensor> | null;

export interface ImageTask {
  bytes: Uint8Array;
  decode: DecodeOptions;
  preprocess: PreprocessOptions;
}

/** Client faults cross threads as data (an HttpError would arrive as a plain Error); the pool rebuilds them. */
export type ImageTaskResult = ({ ok: true } & PreparedImage) | { ok: false; code: ErrorCode; message: string };
