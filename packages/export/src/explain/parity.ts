import { bytesToInput, IMAGE_PIXELS, type SessionRunner } from '@fmnist/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../parity.ts';
import type { ExplainGraph } from './graph.ts';
import { decisionMargin, NEAR_THRESHOLD } from './margins.ts';
import { referenceExplain, type ReferenceExplanation, type ReferenceOptions } from './reference.ts';
import { runExplanation, type ExplainOutputs } from './run.ts';

/** The bounds: |Δ| ≤ 1e-4 of the reference map's range; maps beyond it only where a decision is near its threshold, at most 0.1% of maps. */
export const EXPLAIN_PARITY_LIMITS = { relative: 1e-4, nearThresholdShare: 0.001 } as const;

export type ComparedMap = 'gradcam' | 'saliency' | 'input_gradient';

export interface MapParity {
  map: ComparedMap;
  count: number;
  /** Largest |Δ| / range over maps (|Δ| itself for a zero-range map). */
  maxRelative: number;
  zeroRange: number;
  /** Maps beyond the bound... */
  beyond: number;
  /** ...of which a ReLU, max-pool or argmax decision sits within NEAR_THRESHOLD of its threshold (allowed)... */
  nearThreshold: number;
  /** ...and of which none does (a failure). */
  unexplained: number[];
}

export interface ExplainParity {
  count: number;
  /** Images where both explain the same class. */
  classAgreement: number;
  /** Images where they do not, because the top two logits are within float error (allowed) or not (failures). */
  classDisagreement: { nearThreshold: number; unexplained: number[] };
  maps: MapParity[];
  /** Smallest margin found among the images beyond the bound, for the report. */
  margins: { image: number; margin: number; where: string }[];
}

/** What the tfjs reference must compute to match an explanation graph. */
export function referenceOptionsOf(graph: Pick<ExplainGraph, 'saliencyForm' | 'target' | 'temperature'>): ReferenceOptions {
  return { saliencyForm: graph.saliencyForm, target: graph.target, temperature: graph.temperature };
}

/** Class explained for image i in the parity run: every 11th image its top class (-1), the others 0..9 in turn, so every class index and the top-class path are covered. */
export function parityClass(i: number): number {
  return (i % 11) - 1;
}

/**
 * tfjs autodiff (reference) against explanation graphs in onnxruntime on
 * `set`, `batch` images at a time; the reference runs once for all
 * `sessions` (e.g. a fresh conversion and the file on disk).
 */
export async function compareExplanations(
  model: LayersModel,
  sessions: readonly SessionRunner[],
  set: ImageSet,
  explanation: ReferenceOptions,
  { batch = 100, offset = 0, onProgress }: { batch?: number; offset?: number; onProgress?: (done: number) => void } = {},
): Promise<ExplainParity[]> {
  const states = sessions.map(() => ({ tally: new Map<ComparedMap, MapParity>(), beyond: new Map<number, ComparedMap[]>(), classAgreement: 0 }));
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const input = bytesToInput(set.images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS));
    const classes = Array.from({ length: n }, (_, i) => parityClass(offset + start + i));
    const reference = referenceExplain(model, input, n, classes, explanation);
    for (const [k, session] of sessions.entries()) {
      const state = states[k]!;
      const onnx = await runExplanation(session, input, n, BigInt64Array.from(classes, BigInt));
      for (let i = 0; i < n; i++) {
        if (Number(onnx.explained[i]) === reference.explained[i]) state.classAgreement++;
        else state.beyond.set(start + i, state.beyond.get(start + i) ?? []);
      }
      for (const [map, ref, got] of pairs(reference, onnx)) {
        const stats = state.tally.get(map) ?? { map, count: 0, maxRelative: 0, zeroRange: 0, beyond: 0, nearThreshold: 0, unexplained: [] };
        state.tally.set(map, stats);
        for (let i = 0; i < n; i++) {
          const { relative, zeroRange } = mapDeviation(
            ref.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS),
            got.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS),
          );
          stats.count++;
          if (zeroRange) stats.zeroRange++;
          if (!(relative <= stats.maxRelative)) stats.maxRelative = relative;
          if (!(relative <= EXPLAIN_PARITY_LIMITS.relative)) state.beyond.set(start + i, [...(state.beyond.get(start + i) ?? []), map]);
        }
      }
    }
    onProgress?.(start + n);
  }
  const marginCache = new Map<number, { margin: number; where: string }>();
  return states.map((state) => {
    // Margins only for the few images beyond the bound: one tfjs pass each. Image numbers are global (offset added).
    const margins: ExplainParity['margins'] = [];
    const classDisagreement: ExplainParity['classDisagreement'] = { nearThreshold: 0, unexplained: [] };
    for (const [local, maps] of state.beyond) {
      const image = offset + local;
      const found =
        marginCache.get(local) ??
        decisionMargin(model, bytesToInput(set.images.subarray(local * IMAGE_PIXELS, (local + 1) * IMAGE_PIXELS)), parityClass(image));
      marginCache.set(local, found);
      margins.push({ image, ...found });
      const near = found.margin <= NEAR_THRESHOLD;
      if (maps.length === 0) {
        if (near) classDisagreement.nearThreshold++;
        else classDisagreement.unexplained.push(image);
      }
      for (const map of maps) {
        const stats = state.tally.get(map)!;
        stats.beyond++;
        if (near) stats.nearThreshold++;
        else stats.unexplained.push(image);
      }
    }
    return { count: set.count, classAgreement: state.classAgreement, classDisagreement, maps: [...state.tally.values()], margins };
  });
}

/** Sums the results of disjoint image ranges (shards run in separate processes). */
export function mergeParity(parts: readonly ExplainParity[]): ExplainParity {
  const maps = new Map<ComparedMap, MapParity>();
  for (const part of parts) {
    for (const m of part.maps) {
      const into = maps.get(m.map);
      if (!into) maps.set(m.map, { ...m, unexplained: [...m.unexplained] });
      else
        Object.assign(into, {
          count: into.count + m.count,
          maxRelative: Math.max(into.maxRelative, m.maxRelative),
          zeroRange: into.zeroRange + m.zeroRange,
          beyond: into.beyond + m.beyond,
          nearThreshold: into.nearThreshold + m.nearThreshold,
          unexplained: [...into.unexplained, ...m.unexplained],
        });
    }
  }
  return {
    count: parts.reduce((a, p) => a + p.count, 0),
    classAgreement: parts.reduce((a, p) => a + p.classAgreement, 0),
    classDisagreement: {
      nearThreshold: parts.reduce((a, p) => a + p.classDisagreement.nearThreshold, 0),
      unexplained: parts.flatMap((p) => p.classDisagreement.unexplained),
    },
    maps: [...maps.values()],
    margins: parts.flatMap((p) => p.margins),
  };
}

function pairs(reference: ReferenceExplanation, onnx: ExplainOutputs): [ComparedMap, Float32Array, Float32Array][] {
  const out: [ComparedMap, Float32Array, Float32Array][] = [];
  if (reference.gradcam && onnx.gradcam) out.push(['gradcam', reference.gradcam, onnx.gradcam]);
  out.push(['saliency', reference.saliency, onnx.saliency], ['input_gradient', reference.inputGradient, onnx.inputGradient]);
  return out;
}

/** max |Δ| relative to the reference map's range; a zero-range map is compared absolutely. */
export function mapDeviation(reference: ArrayLike<number>, other: ArrayLike<number>): { relative: number; zeroRange: boolean } {
  let lo = Infinity;
  let hi = -Infinity;
  let diff = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
    const d = Math.abs(r - other[i]!);
    if (!(d <= diff)) diff = d; // NaN propagates
  }
  const range = hi - lo;
  return { relative: range > 0 ? diff / range : diff, zeroRange: !(range > 0) };
}

/** True when a model's parity meets EXPLAIN_PARITY_LIMITS. */
export function explainParityPasses(result: ExplainParity): boolean {
  return (
    result.classDisagreement.unexplained.length === 0 &&
    result.maps.every((m) => m.unexplained.length === 0 && m.nearThreshold <= EXPLAIN_PARITY_LIMITS.nearThresholdShare * m.count)
  );
}

export interface ExplainParityRow extends ExplainParity {
  model: string;
  onnx: string;
}

export function explainParityMarkdown(rows: readonly ExplainParityRow[]): string {
  return [
    '| model | ONNX | map | maps | max \\|Δ\\| / range | beyond 1e-4 | of which near a threshold | unexplained | zero-range maps | same class explained |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.flatMap((r) =>
      r.maps.map(
        (m) =>
          `| ${r.model} | ${r.onnx} | ${m.map} | ${m.count} | ${m.maxRelative.toExponential(2)} | ${m.beyond} | ${m.nearThreshold} | ${m.unexplained.length} | ${m.zeroRange} | ${r.classAgreement} / ${r.count} |`,
      ),
    ),
  ].join('\n');
}
