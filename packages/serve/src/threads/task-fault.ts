import { HttpError } from '../errors.ts';
import type { TaskFault } from './protocol.ts';

/** In a pool thread: a client fault as data for the caller; anything else is rethrown (a server fault). */
export function faultAsData(err: unknown): TaskFault {
  if (err instanceof HttpError) return { ok: false, code: err.code, message: err.message };
  throw err;
}

/** In the caller: the result of a task, with a client fault thrown again as the HttpError it was. */
export function unlessFault<T extends { ok: true }>(result: T | TaskFault): T {
  if (!result.ok) throw new HttpError(result.code, result.message);
  return result;
}
