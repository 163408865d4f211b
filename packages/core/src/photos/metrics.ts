import { NUM_CLASSES } from '../labels.ts';
import { acceptMask, accepts, type PhotoEntry } from './labels.ts';

/** How a model does on labelled photos (see photoMetrics). */
export interface PhotoMetrics {
  /** Photos whose accept set is not empty. */
  count: number;
  /** Share of those whose top class is in the accept set. */
  acceptTop1: number;
  /** Photos with a label whose mapping is not soft. */
  strictCount: number;
  /** Share of those whose top class is the label. */
  strictTop1: number;
  /** Per source label: photos with an accept set, and the share right. */
  bySourceLabel: Record<string, { count: number; acceptTop1: number }>;
  /** Rows: source labels (all photos, those without a class too); columns: predicted class. */
  confusion: Record<string, number[]>;
}

/** `predicted[i]` is the top class for `entries[i]`. */
export function photoMetrics(entries: readonly PhotoEntry[], predicted: ArrayLike<number>): PhotoMetrics {
  if (predicted.length !== entries.length) throw new RangeError(`${predicted.length} predictions for ${entries.length} photos`);
  let count = 0;
  let right = 0;
  let strictCount = 0;
  let strictRight = 0;
  const by: Record<string, { count: number; right: number }> = {};
  const confusion: Record<string, number[]> = {};
  entries.forEach((e, i) => {
    const p = predicted[i]!;
    confusion[e.sourceLabel] ??= new Array<number>(NUM_CLASSES).fill(0);
    confusion[e.sourceLabel]![p]!++;
    if (e.accept.length === 0) return;
    const hit = accepts(acceptMask(e.accept), p);
    count++;
    if (hit) right++;
    by[e.sourceLabel] ??= { count: 0, right: 0 };
    const s = by[e.sourceLabel]!;
    s.count++;
    if (hit) s.right++;
    if (!e.soft) {
      strictCount++;
      if (p === e.label) strictRight++;
    }
  });
  const bySourceLabel = Object.fromEntries(
    Object.entries(by)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, s]) => [k, { count: s.count, acceptTop1: s.right / s.count }]),
  );
  return { count, acceptTop1: count ? right / count : 0, strictCount, strictTop1: strictCount ? strictRight / strictCount : 0, bySourceLabel, confusion };
}
