import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { IMAGE_PIXELS } from '@fmnist/core';
import { callerDir, defaultModelsDir } from '@fmnist/core/node';
import type { TfjsBackendArithmetic } from './convert/types.ts';
import { compareExplanations, EXPLAIN_PARITY_LIMITS, referenceOptionsOf } from './explain/parity.ts';
import { explainOnnxPath, resolveModelArg } from './locations.ts';
import { openCpuSession } from './ort.ts';
import { compareOutputs, onnxOutputs, tfjsOutputs, type ImageSet } from './parity.ts';
import { exportRunDir, type ExportedRun } from './pipeline.ts';
import { writeTritonExplainModel, writeTritonModel } from './triton.ts';

export interface ExportCommandOptions {
  /** 'mlp', 'cnn' or a run directory. */
  model: string;
  /** Output folder for `<name>.onnx` (default models/). */
  out?: string;
  /** Also write a Triton model repository here. */
  triton?: string;
  /** Also write `<name>.int8.onnx` (weight-only int8, for the browser). */
  int8?: boolean;
  /** Also write the explanation graph `explain/<name>.onnx` (and `<name>_explain` in the Triton repository). */
  explain?: boolean;
  /** The explanation graph's first layer as tfjs computes it (ExplainOptions.exactFirstLayer). */
  exactFirstLayer?: TfjsBackendArithmetic | undefined;
  log?: (line: string) => void;
}

export interface ExportCommandResult {
  exported: ExportedRun;
  onnxPath: string;
  triton?: { config: string; model: string };
  int8Path?: string;
  explainPath?: string;
  explainTriton?: { config: string; model: string };
  /** Largest |Δ| / range of any explanation map against tfjs autodiff on the self-check batch. */
  explainSelfCheck?: number;
  /** Largest |tfjs - onnx| on the self-check batch. */
  selfCheckMaxAbs: number;
}

/** Images in the post-export self-check: enough to touch every path, cheap beside training. */
const SELF_CHECK_IMAGES = 32;
const SELF_CHECK_LIMIT = 1e-4;

/** `pnpm export`: convert, write, reload with all optimizations and compare with tfjs on random images, optionally write Triton. */
export async function runExportCommand(options: ExportCommandOptions): Promise<ExportCommandResult> {
  const log = options.log ?? console.log;
  const { name, dir } = resolveModelArg(options.model, callerDir());
  const exported = await exportRunDir(dir, name, {
    int8: options.int8 ?? false,
    explain: options.explain ?? false,
    exactFirstLayer: options.exactFirstLayer,
  });
  const outDir = options.out ? resolve(callerDir(), options.out) : defaultModelsDir();
  await mkdir(outDir, { recursive: true });
  const onnxPath = join(outDir, `${name}.onnx`);
  await writeFile(onnxPath, exported.bytes);
  const show = (p: string) => relative(callerDir(), p) || p;
  log(
    `${name}: ${show(dir)} -> ${show(onnxPath)} (${(exported.bytes.length / 1024).toFixed(1)} KiB, ${exported.nodeCount} nodes, input [${exported.inputDims}])`,
  );
  log(
    `  source sha256 ${exported.artifact.sha256}; test accuracy ${exported.metrics ? `${(100 * exported.metrics.accuracy).toFixed(2)}%` : 'unknown (no metrics.json)'}`,
  );

  const selfCheckMaxAbs = await selfCheck(exported);
  log(`  self-check: reloaded with graphOptimizationLevel 'all', max |Δ| vs tfjs on ${SELF_CHECK_IMAGES} random images ${selfCheckMaxAbs.toExponential(2)}`);
  if (!(selfCheckMaxAbs <= SELF_CHECK_LIMIT)) throw new Error(`${name}: exported graph differs from tfjs by ${selfCheckMaxAbs} (> ${SELF_CHECK_LIMIT})`);

  let int8Path: string | undefined;
  if (exported.int8) {
    int8Path = join(outDir, `${name}.int8.onnx`);
    await writeFile(int8Path, exported.int8.bytes);
    log(`  int8: ${show(int8Path)} (${(exported.int8.bytes.length / 1024).toFixed(1)} KiB; accuracy change: scripts/parity.ts --int8)`);
  }

  let triton: ExportCommandResult['triton'];
  if (options.triton) {
    triton = await writeTritonModel(
      resolve(callerDir(), options.triton),
      { name, inputDims: exported.inputDims, outputSize: exported.outputSize },
      exported.bytes,
    );
    log(`  triton: ${show(triton.config)}, ${show(triton.model)}`);
  }
  const explained = exported.explain
    ? await writeExplanation(exported, outDir, options.triton ? resolve(callerDir(), options.triton) : undefined, log, show)
    : {};
  exported.model.dispose();
  return { exported, onnxPath, selfCheckMaxAbs, ...(triton ? { triton } : {}), ...(int8Path ? { int8Path } : {}), ...explained };
}

async function writeExplanation(
  exported: ExportedRun,
  outDir: string,
  tritonRepo: string | undefined,
  log: (line: string) => void,
  show: (p: string) => string,
): Promise<Pick<ExportCommandResult, 'explainPath' | 'explainTriton' | 'explainSelfCheck'>> {
  const graph = exported.explain!;
  const explainPath = explainOnnxPath(exported.name, outDir);
  await mkdir(dirname(explainPath), { recursive: true });
  await writeFile(explainPath, graph.bytes);
  log(
    `  explain: ${show(explainPath)} (${(graph.bytes.length / 1024).toFixed(1)} KiB, ${graph.nodeCount} nodes, maps ${graph.maps.join(' + ')}, heatmap = ${graph.heatmap}${graph.gradCamLayer ? `, Grad-CAM on ${graph.gradCamLayer}` : ''})`,
  );
  const explainSelfCheck = await explainSelfCheckMax(exported);
  log(`  explain self-check: max |Δ| / range vs tfjs autodiff on ${SELF_CHECK_IMAGES} random images ${explainSelfCheck.toExponential(2)}`);
  if (!(explainSelfCheck <= EXPLAIN_PARITY_LIMITS.relative))
    throw new Error(
      `${exported.name}: explanation graph differs from tfjs autodiff by ${explainSelfCheck} of a map's range (> ${EXPLAIN_PARITY_LIMITS.relative}) where no decision is near its threshold`,
    );
  let explainTriton: ExportCommandResult['explainTriton'];
  if (tritonRepo) {
    explainTriton = await writeTritonExplainModel(tritonRepo, { name: `${exported.name}_explain`, classes: graph.classes, maps: graph.maps }, graph.bytes);
    log(`  triton: ${show(explainTriton.config)}, ${show(explainTriton.model)}`);
  }
  return { explainPath, explainSelfCheck, ...(explainTriton ? { explainTriton } : {}) };
}

/** Every map of the explanation graph against tfjs autodiff on the self-check images, the top class and other classes alternating. */
async function explainSelfCheckMax(exported: ExportedRun): Promise<number> {
  const set = selfCheckImages();
  const session = await openCpuSession(exported.explain!.bytes);
  try {
    const [result] = await compareExplanations(exported.model, [session], set, referenceOptionsOf(exported.explain!));
    // A map beyond the bound because a ReLU or pool decision sits within float error of its threshold is not a fault.
    const faulty = result!.maps.some((m) => m.unexplained.length > 0) || result!.classDisagreement.unexplained.length > 0;
    return faulty
      ? Math.max(...result!.maps.map((m) => m.maxRelative))
      : Math.min(EXPLAIN_PARITY_LIMITS.relative, Math.max(...result!.maps.map((m) => m.maxRelative)));
  } finally {
    await session.release();
  }
}

function selfCheckImages(): ImageSet {
  const images = new Uint8Array(SELF_CHECK_IMAGES * IMAGE_PIXELS);
  // Deterministic pseudo-random bytes: no seed plumbing needed for a smoke check.
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  return { count: SELF_CHECK_IMAGES, images, labels: new Uint8Array(SELF_CHECK_IMAGES) };
}

async function selfCheck(exported: ExportedRun): Promise<number> {
  const set = selfCheckImages();
  const session = await openCpuSession(exported.bytes);
  try {
    const output = exported.sourceOutputsProbabilities ? 'probabilities' : 'logits';
    return compareOutputs(await tfjsOutputs(exported.model, set), await onnxOutputs(session, exported.inputDims, set, output), set.labels).maxAbs;
  } finally {
    await session.release();
  }
}
