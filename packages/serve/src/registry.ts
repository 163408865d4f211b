import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import {
  CLASS_NAMES,
  IMAGE_PIXELS,
  INPUT_CONTRACT,
  NUM_CLASSES,
  OUTPUT_NAMES,
  onnxInputDims,
  parseCalibration,
  parseClassNames,
  runClassifier,
  type ClassifierScores,
  type ModelCalibration,
  type SessionRunner,
} from '@fmnist/core';
import { loadExplainer, type LoadedExplainer } from './explainer.ts';
import { readOnnxInfo, type OnnxModelInfo } from './onnx-meta.ts';
import { firstLine, ModelLoadError, openOnDevice } from './open-session.ts';
import type { DeviceOptions, Provider } from './session-types.ts';
import { threadSessionFactory } from './threads/thread-session.ts';

// Moved to core (the web demo reads the same metadata); re-exported for serve's callers.
export { parseCalibration, type ModelCalibration };

export interface LoadedModel {
  name: string;
  file: string;
  /** First 12 hex digits of the file's sha256: changes whenever the file does. */
  version: string;
  sha256: string;
  provider: Provider;
  /** Why CUDA was not used, when `--device auto` fell back. */
  fallbackReason?: string;
  info: OnnxModelInfo;
  classNames: readonly string[];
  /** Photo-tuned models: their `probabilities` are temperature-calibrated, and answers under the threshold are flagged uncertain. */
  calibration?: ModelCalibration;
  session: SessionRunner;
  bulkSession: SessionRunner;
  /** The explanation graph, when models/explain/<name>.onnx fits this model. */
  explainer?: LoadedExplainer;
  /** Otherwise why there is none, for the client that asks. */
  noExplainer?: string;
  /** Runs n images (n x 784 floats) in one session call. */
  run(input: Float32Array, n: number): Promise<ClassifierScores>;
  /** The same on a second session that uses every core: for /evaluate's large batches. */
  runBulk(input: Float32Array, n: number): Promise<ClassifierScores>;
}

export async function loadModel(file: string, options: DeviceOptions): Promise<LoadedModel> {
  const name = basename(file, '.onnx');
  const bytes = new Uint8Array(await readFile(file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { session, provider, fallbackReason } = await openOnDevice(bytes, name, options);
  const input = INPUT_CONTRACT.name;
  if (!session.inputNames.includes(input))
    throw new ModelLoadError(`${file}: the graph has inputs [${session.inputNames.join(', ')}]; the contract needs '${input}'`);
  for (const out of [OUTPUT_NAMES.logits, OUTPUT_NAMES.probabilities]) {
    if (!session.outputNames.includes(out))
      throw new ModelLoadError(`${file}: the graph has outputs [${session.outputNames.join(', ')}]; the contract needs '${out}'`);
  }
  const info = readOnnxInfo(bytes);
  const classNames = parseClassNames(info.metadata, file) ?? CLASS_NAMES;
  const runOn =
    (s: SessionRunner) =>
    (data: Float32Array, n: number): Promise<ClassifierScores> =>
      runClassifier(s, data, onnxInputDims(n));
  const run = runOn(session);
  // Same provider as the serving session: the CUDA question was settled above.
  const bulkSession = await (options.factory ?? threadSessionFactory)(bytes, provider, availableParallelism());
  const model: LoadedModel = {
    name,
    file,
    version: sha256.slice(0, 12),
    sha256,
    provider,
    info,
    classNames,
    session,
    bulkSession,
    run,
    runBulk: runOn(bulkSession),
  };
  if (fallbackReason !== undefined) model.fallbackReason = fallbackReason;
  const calibration = parseCalibration(info.metadata, file);
  if (calibration) model.calibration = calibration;
  // Warm-up: the first run allocates and plans; do it now, not on a user's request.
  const warm = await run(new Float32Array(IMAGE_PIXELS), 1);
  if (warm.probabilities.length !== NUM_CLASSES)
    throw new ModelLoadError(`${file}: 'probabilities' has ${warm.probabilities.length} values per image, the contract has ${NUM_CLASSES}`);
  return model;
}

/** Every `*.onnx` in a directory, loaded and warmed up; the name is the file's base name. */
export class ModelRegistry {
  private readonly models = new Map<string, LoadedModel>();

  static async load(dir: string, options: DeviceOptions): Promise<ModelRegistry> {
    let entries: string[];
    try {
      entries = (await readdir(dir)).filter((f) => f.endsWith('.onnx')).sort();
    } catch (err) {
      throw new ModelLoadError(`cannot read the models directory ${dir} (${(err as NodeJS.ErrnoException).code ?? firstLine(err)}); pass --models DIR`);
    }
    if (entries.length === 0)
      throw new ModelLoadError(`no *.onnx files in ${dir}; export the models first (pnpm --filter @fmnist/export run export) or pass --models DIR`);
    const registry = new ModelRegistry();
    // One at a time: on two cores parallel loading only interleaves.
    for (const f of entries) {
      const model = await loadModel(join(dir, f), options);
      const explainer = await loadExplainer(dir, model, options);
      if ('missing' in explainer) model.noExplainer = explainer.missing;
      else model.explainer = explainer;
      registry.add(model);
    }
    const [able, unable] = [registry.list().filter((m) => m.explainer), registry.list().filter((m) => !m.explainer)];
    const costs = able.map(
      (m) =>
        `${m.explainer!.name} (${m.explainer!.relativeCost.toFixed(1)}x its classifier, ${m.explainer!.msPerImage.toFixed(2)} ms an image, ${m.explainer!.lanes} lane${m.explainer!.lanes > 1 ? 's' : ''}, ${m.explainer!.servedNodes.after} of ${m.explainer!.servedNodes.before} nodes served)`,
    );
    options.log?.(`explanations: ${costs.join(', ') || 'none'}${unable.length > 0 ? `; none for ${unable.map((m) => m.name).join(', ')}` : ''}`);
    return registry;
  }

  add(model: LoadedModel): void {
    this.models.set(model.name, model);
  }

  get(name: string): LoadedModel | undefined {
    return this.models.get(name);
  }

  list(): LoadedModel[] {
    return [...this.models.values()];
  }

  /** An explanation graph by its v2 name (`cnn-explain`). */
  explainer(name: string): LoadedExplainer | undefined {
    return this.list().find((m) => m.explainer?.name === name)?.explainer;
  }

  async release(): Promise<void> {
    for (const m of this.models.values()) {
      await m.session.release();
      await m.bulkSession.release();
      await m.explainer?.release();
    }
    this.models.clear();
  }
}
