import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { CLASS_NAMES, IMAGE_PIXELS, INPUT_CONTRACT, NUM_CLASSES, OUTPUT_NAMES, onnxInputDims, parseCalibration, parseClassNames, type ModelCalibration } from '@fmnist/core';
import { loadExplainer, type LoadedExplainer } from './explainer.ts';
import { readOnnxInfo, type OnnxModelInfo } from './onnx-meta.ts';

// Moved to core (the web demo reads the same metadata); re-exported for serve's callers.
export { parseCalibration, type ModelCalibration };
import { threadSessionFactory } from './threads/thread-session.ts';

export type Device = 'auto' | 'cuda' | 'cpu';
export type Provider = 'cuda' | 'cpu';

/** An output as callers read it: values and shape (an ort.Tensor, or its copy from a session thread). */
export interface OutputTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What a session can do; an interface so tests can swap in failing or slow sessions. */
export interface Session {
  /** `outputs`: fetch only these (onnxruntime then skips nodes that only other outputs need); default all. */
  run(feeds: Record<string, ort.Tensor>, outputs?: readonly string[]): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/** `threads`: onnxruntime intra-op threads (1 for request serving, all cores for bulk evaluation). */
/** Which session thread serves a session: explanation graphs get their own, so that their long runs never hold up a classifier's batch. */
export type SessionLane = 'serving' | 'explain';

export type SessionFactory = (bytes: Uint8Array, provider: Provider, threads?: number, lane?: SessionLane) => Promise<Session>;

/**
 * Where onnxruntime-node keeps its native libraries; the CUDA provider
 * library lands there only when it was installed with the CUDA flag.
 */
function ortBinaryDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_LIBRARY = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/** Creates an onnxruntime-node session on exactly one provider (no silent fallback inside onnxruntime). */
export const ortSessionFactory: SessionFactory = async (bytes, provider, threads = 1) => {
  // Checking for the library first gives a clearer reason than onnxruntime's own error, and keeps its log quiet.
  if (provider === 'cuda' && !existsSync(join(ortBinaryDir(), CUDA_LIBRARY))) {
    throw new Error(`${CUDA_LIBRARY} is not installed next to onnxruntime-node (installed without ONNXRUNTIME_NODE_INSTALL=cuda12)`);
  }
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    // A failed CUDA attempt is reported once by createSession; onnxruntime's own ERROR line would repeat it with a path dump.
    logSeverityLevel: provider === 'cuda' ? 4 : 2,
    graphOptimizationLevel: 'all',
    // Serving sessions get one intra-op thread: on two cores that leaves the other to HTTP and sharp, and batching supplies the parallelism.
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: (feeds, outputs) => (outputs ? session.run(feeds, outputs) : session.run(feeds)),
    release: () => session.release(),
  };
};

export interface Scores {
  logits: Float32Array;
  probabilities: Float32Array;
}

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
  session: Session;
  bulkSession: Session;
  /** The explanation graph, when models/explain/<name>.onnx fits this model. */
  explainer?: LoadedExplainer;
  /** Otherwise why there is none, for the client that asks. */
  noExplainer?: string;
  /** Runs n images (n x 784 floats) in one session call. */
  run(input: Float32Array, n: number): Promise<Scores>;
  /** The same on a second session that uses every core: for /evaluate's large batches. */
  runBulk(input: Float32Array, n: number): Promise<Scores>;
}


export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

export interface LoadOptions {
  device: Device;
  /** Default: sessions in their own threads (threadSessionFactory); ortSessionFactory runs them in the calling thread. */
  factory?: SessionFactory;
  lane?: SessionLane;
  log?: (message: string) => void;
}

/** Picks the provider: `cuda` must succeed, `auto` tries CUDA and falls back to CPU with the reason logged. */
export async function createSession(bytes: Uint8Array, name: string, { device, factory = threadSessionFactory, log = console.warn, lane }: LoadOptions): Promise<{ session: Session; provider: Provider; fallbackReason?: string }> {
  if (device === 'cpu') return { session: await factory(bytes, 'cpu', 1, lane), provider: 'cpu' };
  try {
    return { session: await factory(bytes, 'cuda', 1, lane), provider: 'cuda' };
  } catch (err) {
    const reason = firstLine(err);
    if (device === 'cuda') {
      throw new ModelLoadError(`${name}: the CUDA execution provider is unavailable (${reason}). Install CUDA 12 and cuDNN 9 and reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12, or start with --device cpu (or auto).`);
    }
    log(`${name}: CUDA unavailable (${reason}); using CPU`);
    return { session: await factory(bytes, 'cpu', 1, lane), provider: 'cpu', fallbackReason: reason };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

export async function loadModel(file: string, options: LoadOptions): Promise<LoadedModel> {
  const name = basename(file, '.onnx');
  const bytes = new Uint8Array(await readFile(file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { session, provider, fallbackReason } = await createSession(bytes, name, options);
  const input = INPUT_CONTRACT.name;
  if (!session.inputNames.includes(input)) throw new ModelLoadError(`${file}: the graph has inputs [${session.inputNames.join(', ')}]; the contract needs '${input}'`);
  for (const out of [OUTPUT_NAMES.logits, OUTPUT_NAMES.probabilities]) {
    if (!session.outputNames.includes(out)) throw new ModelLoadError(`${file}: the graph has outputs [${session.outputNames.join(', ')}]; the contract needs '${out}'`);
  }
  const info = readOnnxInfo(bytes);
  const classNames = parseClassNames(info.metadata, file) ?? CLASS_NAMES;
  const runOn = (s: Session) => async (data: Float32Array, n: number): Promise<Scores> => {
    const tensor = new ort.Tensor(INPUT_CONTRACT.dtype, data, onnxInputDims(n));
    const out = await s.run({ [input]: tensor });
    return { logits: out[OUTPUT_NAMES.logits]!.data as Float32Array, probabilities: out[OUTPUT_NAMES.probabilities]!.data as Float32Array };
  };
  const run = runOn(session);
  // Same provider as the serving session: the CUDA question was settled above.
  const bulkSession = await (options.factory ?? threadSessionFactory)(bytes, provider, availableParallelism());
  const model: LoadedModel = { name, file, version: sha256.slice(0, 12), sha256, provider, info, classNames, session, bulkSession, run, runBulk: runOn(bulkSession) };
  if (fallbackReason !== undefined) model.fallbackReason = fallbackReason;
  const calibration = parseCalibration(info.metadata, file);
  if (calibration) model.calibration = calibration;
  // Warm-up: the first run allocates and plans; do it now, not on a user's request.
  const warm = await run(new Float32Array(IMAGE_PIXELS), 1);
  if (warm.probabilities.length !== NUM_CLASSES) throw new ModelLoadError(`${file}: 'probabilities' has ${warm.probabilities.length} values per image, the contract has ${NUM_CLASSES}`);
  return model;
}

/** Every `*.onnx` in a directory, loaded and warmed up; the name is the file's base name. */
export class ModelRegistry {
  private readonly models = new Map<string, LoadedModel>();

  static async load(dir: string, options: LoadOptions): Promise<ModelRegistry> {
    let entries: string[];
    try {
      entries = (await readdir(dir)).filter((f) => f.endsWith('.onnx')).sort();
    } catch (err) {
      throw new ModelLoadError(`cannot read the models directory ${dir} (${(err as NodeJS.ErrnoException).code ?? firstLine(err)}); pass --models DIR`);
    }
    if (entries.length === 0) throw new ModelLoadError(`no *.onnx files in ${dir}; export the models first (pnpm --filter @fmnist/export run export) or pass --models DIR`);
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
    const costs = able.map((m) => `${m.explainer!.name} (${m.explainer!.relativeCost.toFixed(1)}x its classifier)`);
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
      await m.explainer?.session.release();
    }
    this.models.clear();
  }
}
