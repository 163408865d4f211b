import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The part of a run's test metrics carried into the ONNX metadata. */
export interface SourceMetrics {
  accuracy: number;
  macro?: { precision: number; recall: number; f1: number };
  count?: number;
  confusion?: number[][];
  /** Where in metrics.json the block was found, e.g. 'test' (empty for the top level). */
  path: string;
}

/**
 * Reads `<dir>/metrics.json` defensively: train writes core's
 * metricsFromConfusion result, possibly nested (e.g. under `test`). The first
 * object carrying a numeric accuracy wins, preferring a key named like the
 * test split. Returns undefined when the file is absent or has no accuracy.
 */
export async function readRunMetrics(dir: string): Promise<SourceMetrics | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
  } catch {
    return undefined; // Metrics are informative metadata; their absence must not block an export.
  }
  return findMetrics(json, '', 0);
}

export function findMetrics(value: unknown, path: string, depth: number): SourceMetrics | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 4) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.accuracy === 'number') {
    const out: SourceMetrics = { accuracy: record.accuracy, path };
    const macro = record.macro as SourceMetrics['macro'];
    if (macro && typeof macro.f1 === 'number') out.macro = { precision: macro.precision, recall: macro.recall, f1: macro.f1 };
    if (typeof record.count === 'number') out.count = record.count;
    if (Array.isArray(record.confusion)) out.confusion = record.confusion as number[][];
    return out;
  }
  const keys = Object.keys(record).sort((a, b) => Number(/test/i.test(b)) - Number(/test/i.test(a)));
  for (const key of keys) {
    const found = findMetrics(record[key], path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A photo-tuned run's calibration and what it was trained and validated on (metrics.json `photos`, written by train). */
export interface SourcePhotos {
  calibration: { temperature: number; uncertainThreshold: number; eceBefore: number; eceAfter: number; flaggedWrong: number; flaggedRight: number };
  trainingData: Record<string, unknown>;
}

/** Reads the `photos` block of `<dir>/metrics.json`; undefined for runs trained on Fashion-MNIST alone. */
export async function readRunPhotos(dir: string): Promise<SourcePhotos | undefined> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const photos = json.photos as Record<string, unknown> | undefined;
  const calibration = photos?.calibration as SourcePhotos['calibration'] | undefined;
  if (!photos || !calibration || typeof calibration.temperature !== 'number') return undefined;
  const v = photos.validation as { count: number; acceptTop1: number; strictCount: number; strictTop1: number };
  return {
    calibration,
    trainingData: {
      datasets: ['Fashion-MNIST train split (less a seeded validation hold-out)', `real photos (${String(photos.dir)})`],
      fashionMnistValidation: { images: (json.recipe as { validationCount?: number } | undefined)?.validationCount, accuracy: json.validationAccuracy },
      photos: { train: photos.trainPhotos, trainPhotographers: photos.trainPhotographers, validation: photos.validationPhotos, validationPhotographers: photos.validationPhotographers, split: photos.split },
      photoValidation: { acceptTop1: v.acceptTop1, count: v.count, strictTop1: v.strictTop1, strictCount: v.strictCount },
      recipe: json.recipe,
    },
  };
}
