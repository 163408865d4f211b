/**
 * The costs behind the first prediction and the per-image time, measured
 * apart in headless Chromium, in a worker of their own (as the page's
 * inference worker runs them): onnxruntime-web's script import, the runtime
 * start (wasm fetch, compile, instantiate: the first session of a worker),
 * a model's fetch and session creation, the warm-up run and `session.run`
 * per image, for each model file and session setting below. Prints a table;
 * asserts nothing.
 *
 *   pnpm --filter @fmnist/web-demo session-costs [--runs 200]
 *
 * Uses <repo>/models (or FMNIST_MODELS_DIR, or the deprecated MODELS_DIR); needs a build (it builds when stale).
 */
import { readdirSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveModelsDir } from '@fmnist/core/node';
import { launch } from '../test/support/browser.ts';
import { startDemoServer } from '../test/support/server.ts';
import { siteWithModels } from '../test/support/site.ts';

const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '200' } } });
const runs = Number(values.runs);

interface Setting {
  file: string;
  threads: number;
  /** onnxruntime session config entries (`extra`), e.g. session.disable_quant_qdq. */
  foldInt8: boolean;
}

const SETTINGS: Setting[] = [
  { file: 'cnn.int8.onnx', threads: 2, foldInt8: false },
  { file: 'cnn.int8.onnx', threads: 1, foldInt8: false },
  { file: 'cnn.int8.onnx', threads: 1, foldInt8: true },
  { file: 'cnn.onnx', threads: 2, foldInt8: false },
  { file: 'cnn.onnx', threads: 1, foldInt8: false },
  { file: 'cnn-photo.int8.onnx', threads: 1, foldInt8: false },
  { file: 'cnn-photo.int8.onnx', threads: 1, foldInt8: true },
  { file: 'cnn-photo.onnx', threads: 1, foldInt8: false },
];

/** Runs in a fresh module worker per setting, so each pays the runtime start once, as a first visit does. */
const WORKER = `
self.onmessage = async ({ data: c }) => {
  const now = () => performance.now();
  const t0 = now();
  const ort = await import(c.bundle);
  ort.env.wasm.wasmPaths = { wasm: c.wasm };
  ort.env.wasm.numThreads = c.threads;
  const t1 = now();
  // The runtime starts with the first session: a tiny one (the MLP), so that its cost is measured apart.
  const mlp = new Uint8Array(await (await fetch(c.starter)).arrayBuffer());
  const t2 = now();
  await ort.InferenceSession.create(mlp, { executionProviders: ['wasm'] });
  const t3 = now();
  const bytes = new Uint8Array(await (await fetch(c.model)).arrayBuffer());
  const t4 = now();
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...(c.foldInt8 ? { extra: { session: { disable_quant_qdq: '1' } } } : {}) };
  const s = await ort.InferenceSession.create(bytes, options);
  const t5 = now();
  const x = new Float32Array(784).map((_, i) => (i % 29) / 29);
  const feed = () => ({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
  await s.run(feed());
  const t6 = now();
  const times = [];
  for (let i = 0; i < c.runs; i++) { const a = now(); await s.run(feed()); times.push(now() - a); }
  times.sort((a, b) => a - b);
  self.postMessage({ importMs: t1 - t0, runtimeStartMs: t3 - t2, fetchMs: t4 - t3, createMs: t5 - t4, warmUpMs: t6 - t5, median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)] });
};`;

const modelsDir = resolveModelsDir();
const site = await siteWithModels(modelsDir);
const files = [...new Set([...SETTINGS.map((s) => s.file), 'mlp.onnx'])];
for (const f of files) await cp(join(modelsDir, f), join(site.dir, 'onnx', f)).catch(() => console.warn(`${f}: not in ${modelsDir}, skipped`));
const server = await startDemoServer({ modelsDir, siteDir: site.dir });
const browser = await launch();
try {
  const assets = readdirSync(join(site.dir, 'assets'));
  const bundle = assets.find((f) => /^ort\.wasm\.bundle.*\.js$/.test(f));
  const wasm = assets.find((f) => /^ort-wasm-simd-threaded-[^.]*\.wasm$/.test(f));
  if (!bundle || !wasm) throw new Error('the build has no onnxruntime-web wasm bundle or runtime');
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  console.log(
    `onnxruntime-web in a fresh module worker per row, headless Chromium ${browser.version()}, page ${(await page.evaluate(() => crossOriginIsolated)) ? 'cross-origin isolated' : 'NOT isolated'}; ${runs} runs of one 28x28 image`,
  );
  console.log(
    '| model file | threads | int8 folded at creation | import ort | runtime start | model fetch | session create | warm-up run | session.run median | p90 |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of SETTINGS) {
    if (!files.includes(s.file)) continue;
    const config = {
      ...s,
      runs,
      bundle: `${server.url}/assets/${bundle}`,
      wasm: `${server.url}/assets/${wasm}`,
      model: `${server.url}/onnx/${s.file}`,
      starter: `${server.url}/onnx/mlp.onnx`,
    };
    const r = await page.evaluate(
      async ({ src, config }) => {
        const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
        const w = new Worker(url, { type: 'module' });
        try {
          return await new Promise<Record<string, number> | { error: string }>((resolve) => {
            w.onmessage = (e) => resolve(e.data as Record<string, number>);
            w.onerror = (e) => resolve({ error: e.message });
            w.postMessage(config);
          });
        } finally {
          w.terminate();
          URL.revokeObjectURL(url);
        }
      },
      { src: WORKER, config },
    );
    if ('error' in r) {
      console.log(`| ${s.file} | ${s.threads} | ${s.foldInt8 ? 'yes' : 'no'} | failed: ${r.error} |`);
      continue;
    }
    const ms = (v: number | undefined) => `${(v ?? Number.NaN).toFixed(v !== undefined && v < 10 ? 2 : 0)} ms`;
    console.log(
      `| ${s.file} | ${s.threads} | ${s.foldInt8 ? 'yes' : 'no'} | ${ms(r.importMs)} | ${ms(r.runtimeStartMs)} | ${ms(r.fetchMs)} | ${ms(r.createMs)} | ${ms(r.warmUpMs)} | ${ms(r.median)} | ${ms(r.p90)} |`,
    );
  }
} finally {
  await browser.close();
  await server.close();
  await site.cleanup();
}
