import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  EXPLAIN_DIR,
  EXPLAIN_INPUTS,
  EXPLAIN_OUTPUTS,
  explainModelName,
  float32Tensor,
  IMAGE_PIXELS,
  int64Tensor,
  MetadataError,
  NUM_CLASSES,
  onnxInputDims,
  parseExplanationInfo,
  sourceSha256,
  type ClassifierScores,
  type ExplanationInfo,
  type PrunedGraph,
  pruneToOutputs,
  type SessionRunner,
  type TensorValue,
} from '@fmnist/core';
import { explainLanes, pooledRunner } from './explain-lanes.ts';
import { readOnnxInfo, type OnnxModelInfo } from './onnx-meta.ts';
import { openOnDevice } from './open-session.ts';
import type { DeviceOptions, Provider } from './session-types.ts';

/**
 * A classifier's explanation graph (models/explain/<model>.onnx), served
 * beside it: on /classify?explain=1 and as a KServe v2 model of its own.
 * A separate graph, so that a plain /classify never runs the backward pass.
 */
export interface LoadedExplainer {
  /** The v2 model name: `<model>-explain`. */
  name: string;
  /** The classifier it explains. */
  model: string;
  file: string;
  version: string;
  sha256: string;
  info: OnnxModelInfo;
  /** Read from the graph's metadata: which map `heatmap` holds, never assumed per model. */
  explanation: ExplanationInfo;
  /** The graph's outputs, in its order. */
  outputNames: string[];
  /** The graph's node count, and that of the copy /classify?explain=1 runs, cut to the outputs it reads (core's onnx-prune.ts). */
  servedNodes: { before: number; after: number };
  /** Sessions of that copy, each in a thread of its own, that may run batches at once (explain-lanes.ts): more for a slow graph. */
  lanes: number;
  /** An explanation run's cost per image over the classifier's, measured at load (at least 1). */
  relativeCost: number;
  /** Milliseconds per image of a serving batch, measured at load: what decides `lanes`. */
  msPerImage: number;
  /** The graph's `probabilities` agree with the classifier's (calibration included), so they can be served. */
  ownProbabilities: boolean;
  /**
   * Runs n images (n x 784 floats), each with its class to explain (or TOP_CLASS); `outputs` as in
   * SessionRunner.run. Outputs within SERVED_OUTPUTS run on the cut copy's lanes, others on the whole graph.
   */
  run(input: Float32Array, classes: BigInt64Array, n: number, outputs?: readonly string[]): Promise<Record<string, TensorValue>>;
  /** Releases every session. */
  release(): Promise<void>;
}

/**
 * What /classify reads. Its sessions run a copy of the graph cut to these: onnxruntime runs every node
 * whatever a run fetches, and the other maps cost a CNN's explanation 8%, and a ResNet explained by
 * Grad-CAM its whole backward pass (2.4-2.6x; docs/benchmarks.md).
 */
const SERVED_OUTPUTS: readonly string[] = [EXPLAIN_OUTPUTS.logits, EXPLAIN_OUTPUTS.probabilities, EXPLAIN_OUTPUTS.explainedClass, EXPLAIN_OUTPUTS.heatmap];

/** What an explanation graph needs of its classifier (a LoadedModel has it). */
export interface ExplainedModel {
  name: string;
  provider: Provider;
  info: OnnxModelInfo;
  run(input: Float32Array, n: number): Promise<ClassifierScores>;
}

/** Where a model's explanation graph is expected, relative to the models directory. */
function explainerPath(modelsDir: string, model: string): string {
  return join(modelsDir, EXPLAIN_DIR, `${model}.onnx`);
}

/**
 * Loads the explanation graph of `model` when there is one that fits it;
 * otherwise says why not (shown to clients that ask for an explanation).
 * A graph exported from other weights than the classifier's would explain
 * another model, so the two must share `source_sha256`.
 */
export async function loadExplainer(modelsDir: string, model: ExplainedModel, options: DeviceOptions): Promise<LoadedExplainer | { missing: string }> {
  const file = explainerPath(modelsDir, model.name);
  const relative = `${EXPLAIN_DIR}/${model.name}.onnx`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    return { missing: `model '${model.name}' has no explanation graph (${relative} in the models directory)` };
  }
  const info = readOnnxInfo(bytes);
  let explanation: ExplanationInfo | undefined;
  try {
    explanation = parseExplanationInfo(info.metadata, relative);
  } catch (err) {
    if (err instanceof MetadataError) return { missing: err.message };
    throw err;
  }
  if (!explanation) return { missing: `${relative} has no readable 'explanation' metadata (re-export it)` };
  const source = sourceSha256(model.info.metadata);
  if (source && explanation.sourceSha256 && source !== explanation.sourceSha256) {
    return { missing: `${relative} was exported from other weights than ${model.name}.onnx (source_sha256 differs): re-export it` };
  }
  const name = explainModelName(model.name);
  // The classifier's provider question is settled: the graph runs on the same one.
  const openBytes = async (graph: Uint8Array) => (await openOnDevice(graph, name, { ...options, device: model.provider, lane: 'explain' })).session;
  const wanted = `explanations need inputs ${Object.values(EXPLAIN_INPUTS).join(', ')} and outputs ${SERVED_OUTPUTS.join(', ')}`;
  let served: PrunedGraph;
  try {
    // Refuses a graph that lacks one of the served outputs.
    served = pruneToOutputs(bytes, SERVED_OUTPUTS);
  } catch (err) {
    return { missing: `${relative}: ${err instanceof Error ? err.message : String(err)}; ${wanted}` };
  }
  const open = () => openBytes(served.bytes);
  const session = await open();
  if (!Object.values(EXPLAIN_INPUTS).every((i) => session.inputNames.includes(i))) {
    await session.release();
    return { missing: `${relative} has inputs [${session.inputNames.join(', ')}] and outputs [${served.allOutputs.join(', ')}]; ${wanted}` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let runner = session;
  const feeds = (input: Float32Array, classes: BigInt64Array, n: number) => ({
    [EXPLAIN_INPUTS.image]: float32Tensor(input, onnxInputDims(n)),
    [EXPLAIN_INPUTS.class]: int64Tensor(classes, [n]),
  });
  const runServed = (input: Float32Array, classes: BigInt64Array, n: number) => runner.run(feeds(input, classes, n), SERVED_OUTPUTS);
  // Warm-up, as for the classifier: the first run plans and allocates.
  await runServed(new Float32Array(IMAGE_PIXELS), BigInt64Array.of(-1n), 1);
  const measured = await compare(model, runServed);
  const lanes = options.explainLanes ?? (model.provider === 'cpu' ? explainLanes(measured.msPerImage, availableParallelism()) : 1);
  if (lanes > 1) {
    const more = await Promise.all(Array.from({ length: lanes - 1 }, open));
    runner = pooledRunner([session, ...more]);
    // Each new session plans on its first run; the pool sends idle ones first, so warm them all at once.
    const warm = Array.from({ length: lanes }, () => runServed(new Float32Array(IMAGE_PIXELS), BigInt64Array.of(-1n), 1));
    await Promise.all(warm);
  }
  // The whole graph (every map, the raw gradient) only for the v2 endpoint's requests that ask for more: opened on first use.
  let whole: Promise<SessionRunner> | undefined;
  const wholeRunner = (): Promise<SessionRunner> => {
    if (served.bytes === bytes) return Promise.resolve(runner);
    whole ??= openBytes(bytes);
    return whole;
  };
  const run: LoadedExplainer['run'] = async (input, classes, n, outputs) => {
    if (outputs?.every((o) => SERVED_OUTPUTS.includes(o))) return runner.run(feeds(input, classes, n), outputs);
    return (await wholeRunner()).run(feeds(input, classes, n), outputs);
  };
  const release = async () => {
    await runner.release();
    await (await whole)?.release();
  };
  return {
    name,
    model: model.name,
    file,
    version: sha256.slice(0, 12),
    sha256,
    info,
    explanation,
    outputNames: served.allOutputs,
    servedNodes: served.nodes,
    lanes,
    run,
    release,
    ...measured,
  };
}

/**
 * Runs the classifier and the graph side by side on one batch. Their
 * probabilities must agree for the graph's to be served: a graph exported
 * before its classifier was calibrated has softmax(logits), not
 * softmax(logits / T), and then serve recomputes them from the logits.
 * The time ratio, per image, bounds the explanation queue, so that both
 * queues hold about the same backlog in time: best of a few runs of a serving
 * batch, both graphs timed alternately, so that a busy machine slows both alike.
 */
async function compare(
  model: ExplainedModel,
  run: (input: Float32Array, classes: BigInt64Array, n: number) => Promise<Record<string, TensorValue>>,
): Promise<Pick<LoadedExplainer, 'relativeCost' | 'ownProbabilities' | 'msPerImage'>> {
  // A serving batch (DEFAULT_BATCHING.maxBatch) of a fixed pattern: all zeros would leave the ReLUs and pools idle.
  const n = 16;
  const input = Float32Array.from({ length: n * IMAGE_PIXELS }, (_, i) => ((i * 7919) % 256) / 255);
  const classes = new BigInt64Array(n).fill(-1n);
  let [classify, explain, gap] = [Infinity, Infinity, 0];
  for (let i = 0; i < 4; i++) {
    let t = performance.now();
    const scores = await model.run(input, n);
    classify = Math.min(classify, performance.now() - t);
    t = performance.now();
    const out = await run(input, classes, n);
    explain = Math.min(explain, performance.now() - t);
    const theirs = out[EXPLAIN_OUTPUTS.probabilities]!.data as Float32Array;
    scores.probabilities.forEach((p, j) => (gap = Math.max(gap, Math.abs(p - theirs[j]!))));
  }
  return { relativeCost: Math.max(1, explain / Math.max(classify, 1e-3)), ownProbabilities: gap <= PROBABILITY_TOLERANCE, msPerImage: explain / n };
}

/** Float rounding between two graphs' softmax over the same logits. */
const PROBABILITY_TOLERANCE = 1e-5;

/** One image and the class to explain (0..classes-1, or TOP_CLASS), as the explanation batcher takes it. */
export interface ExplainRow {
  input: Float32Array;
  cls: number;
}

/** One row's outputs: the graph classifies (same weights as the classifier) and explains in one run. */
export interface ExplainedRow {
  logits: Float32Array;
  probabilities: Float32Array;
  explainedClass: number;
  /** 784 floats in [0, 1], row-major 28x28: the graph's `heatmap` output. */
  heatmap: Float32Array;
}

/** The explanation batcher's run: many rows, one graph call, each row's own map back. */
export function explainRows(explainer: LoadedExplainer): (rows: ExplainRow[]) => Promise<ExplainedRow[]> {
  return async (rows) => {
    const input = new Float32Array(rows.length * IMAGE_PIXELS);
    rows.forEach((r, i) => input.set(r.input, i * IMAGE_PIXELS));
    const out = await explainer.run(
      input,
      BigInt64Array.from(rows, (r) => BigInt(r.cls)),
      rows.length,
      SERVED_OUTPUTS,
    );
    const heatmap = out[EXPLAIN_OUTPUTS.heatmap]!.data as Float32Array;
    const classes = out[EXPLAIN_OUTPUTS.explainedClass]!.data as BigInt64Array;
    const logits = out[EXPLAIN_OUTPUTS.logits]!.data as Float32Array;
    const probabilities = out[EXPLAIN_OUTPUTS.probabilities]!.data as Float32Array;
    const row = (values: Float32Array, i: number, size: number) => values.slice(i * size, (i + 1) * size);
    return rows.map((_, i) => ({
      logits: row(logits, i, NUM_CLASSES),
      probabilities: row(probabilities, i, NUM_CLASSES),
      explainedClass: Number(classes[i]),
      heatmap: row(heatmap, i, IMAGE_PIXELS),
    }));
  };
}
