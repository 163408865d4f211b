import type { PreprocessOptions, Split, TensorValue } from '@fmnist/core';
import type { ImagePlan } from '../decode-budget.ts';
import type { DecodeOptions } from '../decode.ts';
import type { ErrorCode } from '../errors.ts';
import type { PreparedImage } from '../prepare.ts';
import type { Provider } from '../session-types.ts';

/** A session thread hosts several sessions, addressed by id. */
export type SessionTask =
  | { op: 'open'; id: number; bytes: Uint8Array; provider: Provider; threads: number }
  | { op: 'run'; id: number; feeds: Readonly<Record<string, TensorValue>>; outputs?: readonly string[] }
  | { op: 'close'; id: number };

export interface SessionDescription {
  inputNames: string[];
  outputNames: string[];
}

export type SessionTaskResult = SessionDescription | Record<string, TensorValue> | null;

export interface ImageTask {
  bytes: Uint8Array;
  decode: DecodeOptions;
  preprocess: PreprocessOptions;
  /** The header's verdict, already read by the caller (reading a JPEG's header again costs about 0.2 ms). */
  plan?: ImagePlan;
}

/** Client faults cross threads as data (an HttpError would arrive as a plain Error); the pool rebuilds them (task-fault.ts). */
export type TaskFault = { ok: false; code: ErrorCode; message: string };

export type ImageTaskResult = ({ ok: true } & PreparedImage) | TaskFault;

export interface DatasetTask {
  images: Uint8Array;
  labels: Uint8Array;
  /** No cap when absent. */
  maxImages?: number;
}

export type DatasetTaskResult = ({ ok: true } & Split) | TaskFault;
