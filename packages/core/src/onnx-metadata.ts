import type { ModelCalibration } from './calibration.ts';
import { MAP_KINDS, type ExplanationInfo, type MapKind } from './explain.ts';
import { NUM_CLASSES } from './labels.ts';

/**
 * Keys of the ONNX metadata_props the exporter writes (values are strings;
 * structured ones are JSON). Every reader (serve, the web build, tests)
 * goes through the parsers below instead of reading keys by hand.
 */
export const METADATA_KEYS = {
  classNames: 'class_names',
  preprocessing: 'preprocessing',
  outputs: 'outputs',
  sourceModel: 'source_model',
  sourceSha256: 'source_sha256',
  sourceMetrics: 'source_test_metrics',
  exporter: 'exporter',
  exporterVersion: 'exporter_version',
  /** Only on the int8 variant. */
  weights: 'weights',
  /** Photo-tuned models: {temperature, uncertain_threshold, ...}; `probabilities` are already calibrated. */
  calibration: 'calibration',
  /** Photo-tuned models: datasets, counts, the validation split and its figures. */
  trainingData: 'training_data',
  /** Only on the explanation graph: its inputs, maps and conventions (JSON). */
  explanation: 'explanation',
} as const;

export type MetadataKey = (typeof METADATA_KEYS)[keyof typeof METADATA_KEYS];

/** A metadata value that is present but not what the exporter writes: the file needs exporting again. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  constructor(
    readonly key: MetadataKey,
    detail: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}metadata '${key}' ${detail}; export the model again (pnpm --filter @fmnist/export run export)`);
  }
}

type Metadata = Readonly<Record<string, string>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMapKind = (v: unknown): v is MapKind => typeof v === 'string' && (MAP_KINDS as readonly string[]).includes(v);

/** The JSON object under `key`, undefined when the key is absent; anything but a JSON object is a MetadataError. */
function jsonObject(meta: Metadata, key: MetadataKey, source: string | undefined): Record<string, unknown> | undefined {
  const raw = meta[key];
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new MetadataError(key, `is not JSON: ${JSON.stringify(raw.slice(0, 40))}`, source);
  }
  if (!isRecord(value)) throw new MetadataError(key, 'is not a JSON object', source);
  return value;
}

/** `class_names`: a JSON array of NUM_CLASSES strings; undefined when absent (the caller falls back to core's list). */
export function parseClassNames(meta: Metadata, source?: string): string[] | undefined {
  const raw = meta[METADATA_KEYS.classNames];
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new MetadataError(METADATA_KEYS.classNames, `is not a JSON array: ${JSON.stringify(raw.slice(0, 40))}`, source);
  }
  if (!Array.isArray(value) || value.length !== NUM_CLASSES || !value.every((s) => typeof s === 'string')) {
    throw new MetadataError(METADATA_KEYS.classNames, `must be a JSON array of ${NUM_CLASSES} strings`, source);
  }
  return value as string[];
}

/** `calibration` (photo-tuned models): temperature > 0 and uncertain_threshold in [0, 1]; undefined when absent. */
export function parseCalibration(meta: Metadata, source?: string): ModelCalibration | undefined {
  const c = jsonObject(meta, METADATA_KEYS.calibration, source);
  if (!c) return undefined;
  const { temperature, uncertain_threshold: threshold } = c;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature))
    throw new MetadataError(METADATA_KEYS.calibration, `needs a positive 'temperature', got ${JSON.stringify(temperature)}`, source);
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
    throw new MetadataError(METADATA_KEYS.calibration, `needs an 'uncertain_threshold' in [0, 1], got ${JSON.stringify(threshold)}`, source);
  return { temperature, uncertainThreshold: threshold };
}

/**
 * `explanation` (explanation graphs) with the graph's `source_sha256`;
 * undefined when the graph carries no `explanation`, so a consumer never
 * guesses the default map.
 */
export function parseExplanationInfo(meta: Metadata, source?: string): ExplanationInfo | undefined {
  const raw = jsonObject(meta, METADATA_KEYS.explanation, source);
  if (!raw) return undefined;
  if (!isMapKind(raw.heatmap))
    throw new MetadataError(METADATA_KEYS.explanation, `needs a 'heatmap' of ${MAP_KINDS.join(' or ')}, got ${JSON.stringify(raw.heatmap)}`, source);
  if (raw.maps !== undefined && !(Array.isArray(raw.maps) && raw.maps.every(isMapKind)))
    throw new MetadataError(METADATA_KEYS.explanation, `'maps' must list map kinds (${MAP_KINDS.join(', ')})`, source);
  const info: ExplanationInfo = { heatmap: raw.heatmap, maps: (raw.maps as MapKind[] | undefined) ?? [raw.heatmap] };
  if (typeof raw.saliency === 'string') info.saliency = raw.saliency;
  if (typeof raw.target === 'string') info.target = raw.target;
  const sha = sourceSha256(meta);
  if (sha) info.sourceSha256 = sha;
  return info;
}

/** `source_sha256`: the trained weights a file was exported from (a classifier and its explanation graph share it). */
export function sourceSha256(meta: Metadata): string | undefined {
  return meta[METADATA_KEYS.sourceSha256] || undefined;
}
