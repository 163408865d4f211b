/**
 * Serving benchmark (autocannon, loopback only). Prints the figures that
 * docs/benchmarks.md records:
 *  - POST /classify with a 28x28 PNG at 32 connections, batching on and off,
 *    and an empty Hono POST handler in the same run (ratio);
 *  - POST /classify with a 1000x1000 JPEG photo;
 *  - POST /evaluate on the 10,000 test images for cnn and mlp;
 *  - upper bounds from the same stack with work taken away (bounds-server.ts);
 *  - sustained load: resident memory after warm-up vs at the end, failures;
 *  - POST /classify?explain=1 against POST /classify on the same model and
 *    server, 28x28 PNG and JPEG photo (issue 13: at least 0.5x).
 *  - --per-model: every shipped model side by side on one server: /classify?model=<name>
 *    with a 28x28 PNG (throughput, p50/p99 latency), /evaluate on the 10,000 test images, file size.
 * Usage: pnpm --filter @fmnist/serve bench [--duration 10 --sustain 60 --models DIR] [--explain-only [--explain-models a,b] [--png-only] | --per-model]
 * (the server takes its environment: EXPLAIN_LANES=1 compares against a single explanation lane)
 * Needs FMNIST_DIR (or data/fashion-mnist) for the evaluation and the PNGs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { preprocessImage } from '@fmnist/core';
import { loadSplit, repoRoot, resolveDataDir, resolveSamplePhotoDir, SHIPPED_MODELS } from '@fmnist/core/node';
import { decodeImage } from '../src/decode.ts';
import { serveFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';
import { autocannon, cpuSeconds, fmt, loadTest, serverArgs, start, stop, testImagePng } from './load-harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    sustain: { type: 'string', default: '60' },
    models: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'explain-only': { type: 'boolean', default: false },
    /** With --explain-only: these models only (comma-separated), and the 28x28 PNG only. */
    'explain-models': { type: 'string' },
    'png-only': { type: 'boolean', default: false },
    'per-model': { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const sustain = Number(values.sustain);
const connections = Number(values.connections);
const load = (url: string, body: Buffer, type: string, seconds = duration) => loadTest(url, body, type, { connections, seconds });
const here = dirname(fileURLToPath(import.meta.url));

let modelsDir = values.models ?? join(repoRoot(), 'models');
let fixtureDir: string | undefined;
const split = await loadSplit(resolveDataDir(undefined), 'test', { verify: false });
if (!existsSync(join(modelsDir, 'cnn.onnx'))) {
  fixtureDir = await mkdtemp(join(tmpdir(), 'fmnist-bench-'));
  await writeFixtureModels(fixtureDir, serveFixtureWeights(split));
  modelsDir = fixtureDir;
  console.log(`NOTE: ${join(repoRoot(), 'models', 'cnn.onnx')} is missing; measuring with the linear fixture model (cheaper than the real CNN)`);
}

/**
 * What one photo costs on one core, outside HTTP: sharp's decode (as the
 * server runs it) and core's preprocessing. cores / (decode + preprocess)
 * bounds the photo throughput of any server that keeps this pipeline.
 */
async function photoCost(): Promise<string> {
  const n = 40;
  let decodeMs = 0;
  let preprocessMs = 0;
  for (let i = 0; i < n + 5; i++) {
    const t0 = performance.now();
    const raw = await decodeImage(photo);
    const t1 = performance.now();
    preprocessImage(raw);
    if (i >= 5) {
      decodeMs += t1 - t0;
      preprocessMs += performance.now() - t1;
    }
  }
  const per = (decodeMs + preprocessMs) / n;
  const cores = availableParallelism();
  return `one photo on one core: decode ${(decodeMs / n).toFixed(1)} ms + preprocess ${(preprocessMs / n).toFixed(1)} ms; ceiling on ${cores} cores ${Math.round((cores * 1000) / per)} req/s`;
}

const serveArgs = (extra: string[] = []) => serverArgs(modelsDir, extra);

const png = await testImagePng(split);
// A real phone photo where the sample photos sit beside the repository; else a noisy synthetic one of the same size.
const samplePhoto = join(resolveSamplePhotoDir(), 'shirt_01.jpg');
const photoSource = existsSync(samplePhoto)
  ? sharp(samplePhoto)
  : sharp(Buffer.from(new Uint8Array(500 * 500 * 3).map((_, i) => 120 + ((i * 7919) % 97))), { raw: { width: 500, height: 500, channels: 3 } });
const photo = await photoSource.resize(1000, 1000, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();

/** The server's CPU time so far in ms (load-harness's cpuSeconds), or undefined where /proc cannot tell. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    return pid === undefined ? undefined : cpuSeconds(pid) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * The cost of an explanation: the same server, model and image, with and
 * without explain=1, in alternating rounds so that a change in the shared
 * machine's load hits both; the server's CPU time per request too, which
 * other processes' load disturbs less than throughput. Every model with an
 * explanation graph.
 */
async function explainCost(): Promise<void> {
  const s = await start(serveArgs());
  const base = `http://127.0.0.1:${s.port}`;
  try {
    const listed = (await (await fetch(`${base}/models`)).json()) as { models: { name: string; explanation?: { name: string; method: string } }[] };
    const only = values['explain-models']?.split(',');
    const explaining = listed.models.filter((m) => m.explanation && (!only || only.includes(m.name)));
    if (explaining.length === 0) console.log('explain: no model has an explanation graph (models/explain/<model>.onnx); skipped');
    for (const model of explaining) await explainRounds(model.name, `${model.explanation!.name}, heatmap = ${model.explanation!.method}`);
  } finally {
    await stop(s.child);
  }

  async function explainRounds(model: string, what: string): Promise<void> {
    console.log(`explain: ${model} (${what})`);
    const rounds = 2;
    const measure = async (url: string, body: Buffer, type: string) => {
      const opts = { url, method: 'POST', body, headers: { 'content-type': type }, connections };
      await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, first batches
      const before = cpuMs(s.pid);
      const res = await autocannon({ ...opts, duration: duration / rounds });
      const after = cpuMs(s.pid);
      return { res, cpu: before === undefined || after === undefined ? NaN : (after - before) / res.requests.total };
    };
    const images: [string, Buffer, string][] = [
      ['28x28 PNG', png, 'image/png'],
      ['1000x1000 JPEG', photo, 'image/jpeg'],
    ];
    for (const [label, body, type] of values['png-only'] ? images.slice(0, 1) : images) {
      const sum = { plain: 0, explained: 0, plainCpu: 0, explainedCpu: 0 };
      for (let r = 0; r < rounds; r++) {
        const a = await measure(`${base}/classify?model=${model}`, body, type);
        const b = await measure(`${base}/classify?model=${model}&explain=1`, body, type);
        sum.plain += a.res.requests.average / rounds;
        sum.explained += b.res.requests.average / rounds;
        sum.plainCpu += a.cpu / rounds;
        sum.explainedCpu += b.cpu / rounds;
        console.log(
          `  ${label} round ${r + 1}: /classify ${fmt(a.res)}, CPU ${a.cpu.toFixed(2)} ms/req; explain=1 ${fmt(b.res)}, CPU ${b.cpu.toFixed(2)} ms/req`,
        );
      }
      console.log(
        `/classify?model=${model}&explain=1 ${label}: ${Math.round(sum.explained)} req/s vs /classify ${Math.round(sum.plain)} req/s: ${(sum.explained / sum.plain).toFixed(2)}x (target >= 0.5x); server CPU ${sum.explainedCpu.toFixed(2)} vs ${sum.plainCpu.toFixed(2)} ms/req`,
      );
    }
  }
}

/** POST /evaluate on the server's test set for `model`: the server's answer and the wall time, or why it failed. */
async function evaluateOn(base: string, model: string): Promise<{ body: EvaluateBody; wall: number } | { error: string }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/evaluate?model=${model}`, { method: 'POST' });
  const wall = (performance.now() - t0) / 1000;
  if (!res.ok) return { error: `${res.status} ${await res.text()}` };
  return { body: (await res.json()) as EvaluateBody, wall };
}
type EvaluateBody = { accuracy: number; seconds: number; imagesPerSecond: number };

/** Every shipped model present, side by side on one server: the same request, the same evaluation. */
async function perModel(): Promise<void> {
  const s = await start(serveArgs());
  const base = `http://127.0.0.1:${s.port}`;
  try {
    for (const model of SHIPPED_MODELS.filter((m) => existsSync(join(modelsDir, `${m}.onnx`)))) {
      const res = await load(`${base}/classify?model=${model}`, png, 'image/png');
      const evaluated = await evaluateOn(base, model);
      const kb = statSync(join(modelsDir, `${model}.onnx`)).size / 1024;
      const evaluation =
        'error' in evaluated
          ? evaluated.error
          : `${evaluated.body.seconds} s, ${evaluated.body.imagesPerSecond} img/s, accuracy ${(evaluated.body.accuracy * 100).toFixed(2)}%`;
      console.log(`${model.padEnd(10)} ${kb.toFixed(0)} KiB; /classify 28x28 PNG: ${fmt(res)}; /evaluate 10,000 images: ${evaluation}`);
    }
  } finally {
    await stop(s.child);
  }
}

try {
  if (values['per-model']) {
    await perModel();
    if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
    process.exit(0);
  }
  if (values['explain-only']) {
    await explainCost();
    if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
    process.exit(0);
  }
  const empty = await start([join(here, 'empty-server.ts')]);
  const emptyRes = await load(`http://127.0.0.1:${empty.port}/`, png, 'image/png');
  await stop(empty.child);
  console.log(`empty Hono POST handler:        ${fmt(emptyRes)}`);

  const on = await start(serveArgs());
  const base = `http://127.0.0.1:${on.port}`;
  const classify = await load(`${base}/classify`, png, 'image/png');
  console.log(`/classify 28x28 PNG, batching:  ${fmt(classify)}`);
  const ratio = classify.requests.average / emptyRes.requests.average;
  console.log(`  ratio to the empty handler:   ${ratio.toFixed(2)} (target >= 0.35); p99 ${classify.latency.p99} ms (target <= 50)`);
  const jpeg = await load(`${base}/classify`, photo, 'image/jpeg');
  console.log(`/classify 1000x1000 JPEG:       ${fmt(jpeg)} (target >= 300 req/s)`);
  console.log(`  ${await photoCost()}`);
  for (const model of ['cnn', 'mlp']) {
    const evaluated = await evaluateOn(base, model);
    if ('error' in evaluated) {
      console.log(`/evaluate ${model}: ${evaluated.error}`);
      continue;
    }
    const { body, wall } = evaluated;
    console.log(
      `/evaluate ${model} (10,000 images): server ${body.seconds} s, wall ${wall.toFixed(3)} s, ${body.imagesPerSecond} img/s, accuracy ${(body.accuracy * 100).toFixed(2)}% (target cnn <= 1.5 s, mlp <= 0.5 s)`,
    );
  }
  await stop(on.child);

  // Upper bounds from the same stack with work taken away (bounds-server.ts).
  const bound = async (mode: string, body: Buffer, type: string) => {
    const b = await start([join(here, 'bounds-server.ts'), '--models', modelsDir], { MODE: mode });
    const res = await load(`http://127.0.0.1:${b.port}/`, body, type);
    await stop(b.child);
    return res;
  };
  const inferenceOnly = await bound('inference', png, 'image/png');
  console.log(
    `bound: HTTP + batching + inference, no decode or preprocessing: ${fmt(inferenceOnly)}; ratio ${(inferenceOnly.requests.average / emptyRes.requests.average).toFixed(2)}`,
  );
  const shrunk = await bound('sharp-shrink', photo, 'image/jpeg');
  console.log(`bound: 1000x1000 JPEG, sharp shrinks to 128 px while decoding (no browser parity): ${fmt(shrunk)}`);

  await explainCost();

  const off = await start(serveArgs(['--max-batch', '1']));
  const unbatched = await load(`http://127.0.0.1:${off.port}/classify`, png, 'image/png');
  await stop(off.child);
  console.log(`/classify 28x28 PNG, no batching: ${fmt(unbatched)}`);

  if (sustain > 0) {
    const s = await start(serveArgs());
    const url = `http://127.0.0.1:${s.port}`;
    const rss = async () => Number(/process_resident_memory_bytes (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1]) / 2 ** 20;
    await autocannon({ url: `${url}/classify`, method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' }, connections, duration: 10 });
    const warm = await rss();
    // Mixed load: mostly small PNGs, some photos, for `sustain` seconds.
    const requests = [
      { method: 'POST', path: '/classify', body: png, headers: { 'content-type': 'image/png' } },
      { method: 'POST', path: '/classify', body: png, headers: { 'content-type': 'image/png' } },
      { method: 'POST', path: '/classify', body: photo, headers: { 'content-type': 'image/jpeg' } },
    ];
    const sustained = await autocannon({ url: `${url}`, requests, connections, duration: sustain });
    const end = await rss();
    await stop(s.child);
    console.log(
      `sustained ${sustain} s mixed load:    ${fmt(sustained)}; RSS after warm-up ${warm.toFixed(0)} MB, at end ${end.toFixed(0)} MB, growth ${(((end - warm) / warm) * 100).toFixed(1)}% (target < 10%, no failures)`,
    );
  }
} finally {
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
}
