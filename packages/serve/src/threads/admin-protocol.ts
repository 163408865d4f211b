/** Messages between the event loop's thread and the admin thread (admin-listener.ts, admin-thread.ts), and the answers they carry. */
import type { HttpError } from '../errors.ts';

/** What the admin thread reads at start. */
export interface AdminThreadData {
  /** The module the bootstrap (tsx-thread.mjs) imports. */
  module: string;
  port: number;
  host: string;
  /** One BigInt64: when the event loop last turned, ms since the epoch (Date.now()). */
  heartbeat: SharedArrayBuffer;
  /** How long the event loop may go without a turn before /healthz and /readyz say 503. */
  maxStallMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** A finished answer: status, headers and JSON or text body. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(value) };
}

/** An HttpError as the server's own routes answer it: status, its headers, `{"error": {"code", "message"}}`. */
export function errorAnswer(e: HttpError): Answer {
  return jsonAnswer(e.status, e.toJSON(), e.headers);
}

export type ToAdmin = { type: 'readiness'; answer: Answer } | { type: 'metrics'; id: number; answer: Answer } | { type: 'close' };

export type FromAdmin =
  | { type: 'listening'; port: number }
  | { type: 'listen-error'; code: string; message: string }
  | { type: 'metrics'; id: number }
  | { type: 'closed' };
