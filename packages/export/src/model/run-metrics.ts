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
