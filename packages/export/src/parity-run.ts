import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { repoRoot } from '@fmnist/core/node';
import { useReferenceBackend, type ReferenceBackend } from './explain/reference-backend.ts';
import { decodeModel } from './onnx/proto.ts';
import { openCpuSession } from './ort.ts';
import { compareOutputs, onnxOutputs, tfjsOutputs, type ImageSet, type ParityRow } from './parity.ts';
import { exportRunDir } from './pipeline.ts';
import { METADATA_KEYS } from '@fmnist/core';

export interface ParityCheckRow extends ParityRow {
  /** For a file on disk: its metadata names the current source (sha256 of model.json + weights). */
  sourceMatches: boolean;
}

/** The acceptance bounds for a shipped model. */
export const PARITY_LIMITS = { maxAbs: 1e-4 } as const;

export function rowPasses(row: ParityCheckRow): boolean {
  return row.maxAbs <= PARITY_LIMITS.maxAbs && row.agreement === row.count && row.tfjsAccuracy === row.onnxAccuracy && row.sourceMatches;
}

/**
 * tfjs versus onnxruntime on `set` for one run directory: the tfjs model as
 * loaded from disk against (1) a fresh in-memory conversion and (2) the ONNX
 * file on disk when `onnxFile` exists. tfjs runs once and serves both.
 * `reference` is the tfjs backend of that run: 'cpu' (pure JS, the default)
 * or 'wasm' (the backend the models are trained on; about 20x faster on the
 * ResNet, whose 10,000 images take about 16 minutes on 'cpu').
 */
export async function runModelParity(
  name: string,
  dir: string,
  set: ImageSet,
  { onnxFile, int8 = false, reference: backend = 'cpu' }: { onnxFile?: string | undefined; int8?: boolean; reference?: ReferenceBackend } = {},
): Promise<ModelParity> {
  const exported = await exportRunDir(dir, name, { int8 });
  const output = exported.sourceOutputsProbabilities ? 'probabilities' : 'logits';
  await useReferenceBackend(backend);
  const reference = await tfjsOutputs(exported.model, set);
  const candidates: { label: string; bytes: Uint8Array; sourceMatches: boolean }[] = [
    { label: 'converted in memory', bytes: exported.bytes, sourceMatches: true },
  ];
  if (onnxFile && existsSync(onnxFile)) {
    const bytes = await readFile(onnxFile);
    const sha = decodeModel(bytes).metadataProps.find((p) => p.key === METADATA_KEYS.sourceSha256)?.value;
    candidates.push({ label: relative(repoRoot(), onnxFile), bytes, sourceMatches: sha === exported.artifact.sha256 });
  }
  const measure = async (bytes: Uint8Array) => {
    const session = await openCpuSession(bytes);
    try {
      return compareOutputs(reference, await onnxOutputs(session, exported.inputDims, set, output), set.labels);
    } finally {
      await session.release();
    }
  };
  const rows: ParityCheckRow[] = [];
  for (const candidate of candidates)
    rows.push({ model: name, onnx: candidate.label, sourceMatches: candidate.sourceMatches, ...(await measure(candidate.bytes)) });
  const result: ModelParity = { rows };
  if (exported.int8) {
    result.int8 = {
      model: name,
      onnx: 'int8 weights (in memory)',
      bytes: exported.int8.bytes.length,
      floatBytes: exported.bytes.length,
      ...(await measure(exported.int8.bytes)),
    };
  }
  exported.model.dispose();
  return result;
}

export interface Int8Row extends ParityRow {
  bytes: number;
  floatBytes: number;
}

export interface ModelParity {
  rows: ParityCheckRow[];
  /** The int8 variant against the same tfjs outputs: informative, not held to the parity bounds. */
  int8?: Int8Row;
}

/** The int8 variant's size and accuracy change as markdown. */
export function int8Markdown(rows: readonly Int8Row[]): string {
  return [
    '| model | float32 size | int8 size | tfjs accuracy | int8 accuracy | change | top-1 agreement with tfjs | max abs Δlogit |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${(r.floatBytes / 1024).toFixed(0)} KiB | ${(r.bytes / 1024).toFixed(0)} KiB | ${(100 * r.tfjsAccuracy).toFixed(2)}% | ${(100 * r.onnxAccuracy).toFixed(2)}% | ${(100 * (r.onnxAccuracy - r.tfjsAccuracy)).toFixed(2)} pp | ${r.agreement} / ${r.count} | ${r.maxAbs.toExponential(2)} |`,
    ),
  ].join('\n');
}
