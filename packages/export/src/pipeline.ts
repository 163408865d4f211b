import type { TfjsBackendArithmetic } from './convert/types.ts';
import { basename, resolve } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readRunMetrics, type RunMetrics } from '@fmnist/core/node';
import { convertSpec, type ConvertResult } from './convert/convert.ts';
import { explanationChoiceFor, type ExplanationChoice } from './explain/contract.ts';
import { buildExplanationGraph, type ExplainGraph } from './explain/graph.ts';
import { modelKindOf } from './explain/kind.ts';
import { buildExplanationMetadata, buildMetadata, INT8_WEIGHTS_NOTE } from './metadata.ts';
import { layersModelFromArtifact, readLayersArtifact, type LayersArtifact } from './model/artifact.ts';
import { sourcePhotos } from './model/run-metrics.ts';
import { specFromLayersModel } from './model/spec.ts';
import { useCpuBackend } from './tfjs.ts';
import { METADATA_KEYS } from '@fmnist/core';

export interface ExportedRun extends ConvertResult {
  name: string;
  artifact: LayersArtifact;
  /** The tfjs model the ONNX graph was made from (for parity checks). */
  model: LayersModel;
  metrics: RunMetrics | undefined;
  /** The weight-only int8 variant, when asked for. */
  int8?: ConvertResult;
  /** Calibration temperature of a photo-tuned run (its `probabilities` divide the logits by it). */
  temperature?: number;
  /** The explanation graph (float32 weights), when asked for. */
  explain?: ExplainGraph;
}

/** Reads a train run directory and converts it in memory (nothing is written). */
export async function exportRunDir(
  dir: string,
  name = basename(resolve(dir)),
  {
    int8 = false,
    explain = false,
    explainChoice,
    exactFirstLayer,
  }: { int8?: boolean; explain?: boolean; explainChoice?: Partial<ExplanationChoice>; exactFirstLayer?: TfjsBackendArithmetic | undefined } = {},
): Promise<ExportedRun> {
  await useCpuBackend();
  const artifact = await readLayersArtifact(dir);
  const model = await layersModelFromArtifact(artifact);
  const metrics = await readRunMetrics(dir);
  const photos = sourcePhotos(metrics);
  const spec = specFromLayersModel(model);
  const metadata = buildMetadata({ name, sha256: artifact.sha256, metrics, photos });
  const temperature = photos?.calibration.temperature;
  const result = convertSpec(spec, { name, metadata, ...(temperature ? { temperature } : {}) });
  const exported: ExportedRun = { ...result, name, artifact, model, metrics, ...(temperature ? { temperature } : {}) };
  if (int8)
    exported.int8 = convertSpec(spec, {
      name,
      int8: true,
      ...(temperature ? { temperature } : {}),
      metadata: { ...metadata, [METADATA_KEYS.weights]: INT8_WEIGHTS_NOTE },
    });
  if (explain) {
    const source = { name, sha256: artifact.sha256, metrics, photos };
    exported.explain = buildExplanationGraph(spec, {
      name,
      metadata: (facts) => buildExplanationMetadata(source, facts),
      choice: { ...explanationChoiceFor(name, modelKindOf(spec)), ...explainChoice },
      exactFirstLayer,
      ...(temperature ? { temperature } : {}),
    });
  }
  return exported;
}
