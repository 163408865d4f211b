import { HttpError } from './errors.ts';

/** Parses `topk` (default 3): an integer 1..classes. */
export function parseTopK(raw: string | undefined | null, classes: number): number {
  if (raw === undefined || raw === null || raw === '') return Math.min(3, classes);
  if (!/^\d{1,3}$/.test(raw.trim())) throw new HttpError('bad_topk', `topk must be an integer from 1 to ${classes}, got '${raw.slice(0, 20)}'`);
  const k = Number(raw);
  if (k < 1 || k > classes) throw new HttpError('bad_topk', `topk must be an integer from 1 to ${classes}, got ${k}`);
  return k;
}
