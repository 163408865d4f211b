// Explanations: tfjs autodiff vs the ONNX explanation graph on the Fashion-MNIST test images.
//   tsx packages/export/scripts/parity-explain.ts [--model mlp|cnn|<run dir>]... [--data-dir DIR]
//       [--from I --count N] [--backend cpu|wasm] [--json FILE] [--merge FILE...] [--write] [--write-to FILE]
//       [--level all|extended|basic|disabled] (onnxruntime's graph optimizations, 'all' as served: a diagnostic)
//       [--exact-first-layer] (the in-memory graph's first layer as the --backend computes it: docs/explain-parity.md)
// Defaults: every shipped model, all 10,000 test images, data from FMNIST_DIR, the cpu backend
// (--backend wasm: ~12x faster, see src/explain/reference-backend.ts).
// --from/--count check a slice (shards can run in parallel processes, each with --json);
// --merge FILE (repeated) sums such JSON files instead of computing. --write writes docs/explain-parity.md.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IMAGE_PIXELS, METADATA_KEYS } from '@fmnist/core';
import { callerDir, defaultModelsDir, loadSplit, repoRoot, resolveDataDir, RUN_FILES, SHIPPED_MODELS } from '@fmnist/core/node';
import { DEFAULT_EXPLANATION } from '../src/explain/contract.ts';
import { NEAR_THRESHOLD } from '../src/explain/margins.ts';
import {
  compareExplanations,
  EXPLAIN_PARITY_LIMITS,
  explainParityMarkdown,
  explainParityPasses,
  mergeParity,
  parityClass,
  referenceOptionsOf,
  type ExplainParityRow,
} from '../src/explain/parity.ts';
import { REFERENCE_BACKENDS, useReferenceBackend, type ReferenceBackend } from '../src/explain/reference-backend.ts';
import { explainOnnxPath, resolveModelArg } from '../src/locations.ts';
import { decodeModel } from '../src/onnx/proto.ts';
import { openCpuSession } from '../src/ort.ts';
import { exportRunDir } from '../src/pipeline.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from '../src/version.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    model: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    from: { type: 'string' },
    count: { type: 'string' },
    json: { type: 'string' },
    merge: { type: 'string', multiple: true },
    write: { type: 'boolean' },
    'exact-first-layer': { type: 'boolean' },
    'write-to': { type: 'string' },
    /** A sentence for the doc, e.g. which slices a merged run covers. */
    note: { type: 'string' },
    backend: { type: 'string' },
    level: { type: 'string', default: 'all' },
  },
});
const LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
const level = values.level as (typeof LEVELS)[number];
if (!LEVELS.includes(level)) throw new Error(`--level ${values.level}: use ${LEVELS.join(', ')}`);
const cwd = callerDir();
const writeTo = values['write-to'] ? resolve(cwd, values['write-to']) : values.write ? join(repoRoot(), 'docs', 'explain-parity.md') : undefined;

let rows: ExplainParityRow[];
if (values.merge?.length) {
  const parts = await Promise.all(values.merge.map(async (f) => JSON.parse(await readFile(resolve(cwd, f), 'utf8')) as ExplainParityRow[]));
  const keys = [...new Set(parts.flat().map((r) => `${r.model}\u0000${r.onnx}`))];
  rows = keys.map((key) => {
    const same = parts.flat().filter((r) => `${r.model}\u0000${r.onnx}` === key);
    return { model: same[0]!.model, onnx: same[0]!.onnx, ...mergeParity(same) };
  });
} else {
  rows = await compute();
}

async function compute(): Promise<ExplainParityRow[]> {
  const requested = values.model ?? SHIPPED_MODELS.filter((m) => existsSync(join(defaultModelsDir(), m, RUN_FILES.model)));
  const backend = (values.backend ?? 'cpu') as ReferenceBackend;
  if (!REFERENCE_BACKENDS.includes(backend)) throw new Error(`--backend ${backend}: use ${REFERENCE_BACKENDS.join(' or ')}`);
  const dataDir = resolveDataDir(values['data-dir']);
  const test = await loadSplit(dataDir, 'test');
  const from = Number(values.from ?? 0);
  const count = Math.min(Number(values.count ?? test.count), test.count - from);
  const set = { count, images: test.images.subarray(from * IMAGE_PIXELS, (from + count) * IMAGE_PIXELS), labels: test.labels.subarray(from, from + count) };
  const out: ExplainParityRow[] = [];
  for (const arg of requested) {
    const { name, dir } = resolveModelArg(arg, cwd);
    const started = Date.now();
    const exported = await exportRunDir(dir, name, { explain: true, exactFirstLayer: values['exact-first-layer'] ? backend : undefined });
    await useReferenceBackend(backend);
    const candidates = [{ label: 'converted in memory', bytes: exported.explain!.bytes }];
    const file = explainOnnxPath(name);
    if ((SHIPPED_MODELS as readonly string[]).includes(arg) && existsSync(file)) {
      const bytes = new Uint8Array(await readFile(file));
      const sha = decodeModel(bytes).metadataProps.find((p) => p.key === METADATA_KEYS.sourceSha256)?.value;
      if (sha !== exported.artifact.sha256) console.log(`${relative(repoRoot(), file)} was exported from another version of models/${name}: re-run the export`);
      else candidates.push({ label: relative(repoRoot(), file), bytes });
    }
    const sessions = await Promise.all(candidates.map((c) => openCpuSession(c.bytes, { level })));
    let last = 0;
    const results = await compareExplanations(exported.model, sessions, set, referenceOptionsOf(exported.explain!), {
      offset: from,
      onProgress: (done) => {
        if (done - last >= 1000 || done === count) console.error(`${name}: ${done} / ${count} images, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        if (done - last >= 1000) last = done;
      },
    });
    results.forEach((r, i) => out.push({ model: name, onnx: candidates[i]!.label, ...r }));
    await Promise.all(sessions.map((s) => s.release()));
    exported.model.dispose();
  }
  return out;
}

const table = explainParityMarkdown(rows);
const failed = rows.filter((r) => !explainParityPasses(r));
console.log(table);
for (const r of rows) {
  const worst = [...r.margins]
    .sort((a, b) => a.margin - b.margin)
    .slice(0, 5)
    .map((m) => `#${m.image} ${m.margin.toExponential(1)} (${m.where})`);
  if (worst.length) console.log(`${r.model} (${r.onnx}): images beyond the bound, smallest decision margins: ${worst.join(', ')}`);
}
if (values.json) {
  await writeFile(resolve(cwd, values.json), JSON.stringify(rows));
  console.error(`wrote ${values.json}`);
}

if (writeTo) {
  const marginLines = rows
    .filter((r) => r.onnx === 'converted in memory')
    .flatMap((r) =>
      [...r.margins]
        .sort((a, b) => a.margin - b.margin)
        .map((m) => `- ${r.model}, test image ${m.image} (class ${parityClass(m.image)}): ${m.where}, relative margin ${m.margin.toExponential(2)}`),
    );
  const doc = `# Parity: explanations, tfjs autodiff vs the ONNX explanation graph

${values.note ? `${values.note}\n\n` : ''}Every test image checked (${rows
    .map((r) => `${r.model}: ${r.count.toLocaleString('en-US')}`)
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(', ')}) is explained twice: by
TensorFlow.js's own autodiff (\`tf.grad\` on the trained layers model loaded from
\`models/<name>/\`, BatchNormalization as a layer in inference mode, ${(values.backend ?? 'cpu') === 'wasm' ? "tfjs's wasm backend with its MaxPoolGrad bridged to the cpu backend's kernel and the unused filter gradient skipped, see `src/explain/reference-backend.ts`" : 'pure-JS CPU backend'})
and by the explanation graph in onnxruntime-node (CPU, \`graphOptimizationLevel: '${level}'\`), whose
batch normalization is folded into the preceding kernels.
"converted in memory" is a fresh export; \`models/explain/<name>.onnx\` is the shipped
file (its \`source_sha256\` must name the current source).

The class explained for test image i is its top class (\`class\` = -1) when i % 11 = 0,
else class (i % 11) − 1, so the top-class path and every class index are covered.
Each graph explains its metadata's \`explanation.target\` (default ${DEFAULT_EXPLANATION.target}: log p_c
with p the model's own, for cnn-photo calibrated, \`probabilities\`), and the reference differentiates
the same scalar. Maps compared: \`gradcam\` and \`saliency\` (normalised to [0, 1], saliency =
${DEFAULT_EXPLANATION.saliencyForm}) and the raw \`input_gradient\`.

Acceptance: max |Δ| ≤ ${EXPLAIN_PARITY_LIMITS.relative} of the tfjs map's range (a zero-range map: |Δ| ≤ ${EXPLAIN_PARITY_LIMITS.relative});
a map beyond that only where one of the image's ReLU, max-pool or top-class decisions is
within float error of its threshold (relative margin ≤ ${NEAR_THRESHOLD} of the layer's largest
magnitude, see \`src/explain/margins.ts\`), and at most ${100 * EXPLAIN_PARITY_LIMITS.nearThresholdShare}% of maps.

${table}

Result: ${failed.length ? `**${failed.length} row(s) fail**` : 'all rows pass'}.
${marginLines.length ? `\nImages beyond the bound (in-memory conversion) and their closest decision:\n\n${marginLines.join('\n')}\n` : ''}
Generated by \`FMNIST_DIR=../shared/fashion-mnist pnpm parity:explain --write\` with ${EXPORTER_NAME} ${EXPORTER_VERSION} on ${new Date().toISOString().slice(0, 10)}.
`;
  await mkdir(dirname(writeTo), { recursive: true });
  await writeFile(writeTo, doc);
  console.error(`wrote ${writeTo}`);
}
if (failed.length) process.exitCode = 1;
