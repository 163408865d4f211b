/**
 * Speed figures of the web demo in headless Chromium against the real
 * server; prints them, asserts nothing (tests do not time things).
 *
 *   FMNIST_DIR=../shared/fashion-mnist pnpm --filter @fmnist/web-demo bench [--runs 5 --images 100 --lighthouse-runs 3 --lighthouse-out DIR --screenshot docs/web-demo.png --screenshot-model cnn|mlp|both --photo FILE.jpg]
 *
 * Desktop (headless Chromium, no throttling):
 * - page load to first prediction: navigation start to the first result on
 *   screen, cold cache, an image handed to the file input as soon as the page has it;
 * - inference per image on wasm (the default model, the CNN): `session.run` time of one image, after warm-up;
 * - with Explain on, the explanation graph's `session.run` per image (it gives the answer too), for each model that has one;
 * - bytes a first and a repeat visit transfer (page and inference worker), both models included (the MLP is prefetched).
 * Mobile: Lighthouse's defaults (simulated slow 4G, 4x CPU slowdown; CHROME_PATH, default Debian's
 * Chromium), median of --lighthouse-runs (0 skips it): performance, TBT, accessibility, best practices, bytes.
 * Uses <repo>/models (or FMNIST_MODELS_DIR, or the deprecated MODELS_DIR) when cnn.onnx and mlp.onnx exist, else the test fixtures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { loadSplit, resolveDataDir, resolveSamplePhotoDir, userPath, resolveModelsDir } from '@fmnist/core/node';
import { lighthouseRuns } from './lighthouse-runs.ts';
import { dropFile, launch, nextResult, runCount } from '../test/support/browser.ts';
import { browserFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';
import { grayPng } from '../test/support/png.ts';
import { onePerClass } from '../test/support/images.ts';
import { startDemoServer } from '../test/support/server.ts';
import { siteWithModels } from '../test/support/site.ts';
import { totalBytes, transfers, type Transfer } from '../test/support/transfers.ts';

// pnpm passes a literal `--` through to the script.
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const defaultPhoto = join(resolveSamplePhotoDir(), 'dress_01.jpg');
const { values } = parseArgs({
  args,
  options: {
    runs: { type: 'string', default: '5' },
    images: { type: 'string', default: '100' },
    'lighthouse-runs': { type: 'string', default: '3' },
    'lighthouse-out': { type: 'string' },
    screenshot: { type: 'string' },
    'screenshot-model': { type: 'string', default: 'both' },
    photo: { type: 'string', default: defaultPhoto },
  },
});
const runs = Number(values.runs);
const nImages = Number(values.images);
const lhRuns = Number(values['lighthouse-runs']);

const dataDir = resolveDataDir();
const split = await loadSplit(dataDir, 'test', { verify: false });
const realDir = resolveModelsDir();
const real = ['cnn', 'mlp'].every((m) => existsSync(join(realDir, `${m}.onnx`)));
let modelsDir = realDir;
let fixtureDir: string | undefined;
if (!real) {
  fixtureDir = modelsDir = await mkdtemp(join(tmpdir(), 'fmnist-bench-models-'));
  await writeFixtureModels(modelsDir, browserFixtureWeights(split));
}
const site = await siteWithModels(modelsDir);
const server = await startDemoServer({ modelsDir, siteDir: site.dir, dataDir });
const browser = await launch();
const sample = grayPng(split.images.subarray(0, 784), 28, 28);

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

/** Records, in page time, when the first result lands (data-run turns 1). */
function markFirstResult(): void {
  new MutationObserver((_, obs) => {
    const app = document.getElementById('app');
    if (app?.dataset.run === '1') {
      (globalThis as unknown as { firstResultAt: number }).firstResultAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-run'] });
}

/** What a request is, for the byte breakdown. */
function kind(name: string): string {
  const path = new URL(name).pathname;
  if (path.endsWith('.wasm')) return 'onnxruntime wasm';
  if (path.endsWith('.onnx')) return 'models';
  if (path.endsWith('.js')) return 'javascript';
  if (path.endsWith('/samples')) return 'gallery (/samples)';
  return 'html, css, other';
}

/** A cold visit with an image given at once (time to its first prediction), then a repeat visit in the same browser context. */
async function coldLoad(): Promise<{ ms: number; steps: Record<string, number>; first: Transfer[]; repeat: Transfer[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(markFirstResult);
  await page.goto(`${server.url}/`, { waitUntil: 'commit' });
  await page.setInputFiles('#file', { name: 'first.png', mimeType: 'image/png', buffer: Buffer.from(sample) });
  await page.waitForFunction(() => 'firstResultAt' in globalThis, null, { timeout: 60_000 });
  const ms = await page.evaluate(() => (globalThis as unknown as { firstResultAt: number }).firstResultAt);
  // Where the time went: the document's own milestones and the page's and worker's loading steps (fmnist:* marks).
  const steps = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const out: Record<string, number> = { 'html received': nav.responseEnd, DOMContentLoaded: nav.domContentLoadedEventEnd, 'load event': nav.loadEventEnd };
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('fmnist:')) out[m.name.slice('fmnist:'.length)] ??= m.startTime;
    return out;
  });
  const settled = async () => {
    // The MLP loads after the first answer and the gallery arrives on its own: wait for both before counting bytes.
    await page.waitForFunction(() => document.querySelectorAll('#gallery button').length > 0, null, { timeout: 60_000 });
    await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
  };
  await settled();
  const first = await transfers(page);
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
  await settled();
  const repeat = await transfers(page);
  await context.close();
  return { ms, steps, first, repeat };
}

/** Per image, for the model checked on the page: `session.run` of the classifier, or with Explain on of its explanation graph (which answers too). */
async function inferenceTimes(page: Page, model: string, explain: boolean): Promise<{ classify: number[]; explain: number[] }> {
  await page.locator(`input[name="model"][value="${model}"]`).check();
  await page.locator('#explain').setChecked(explain);
  const out = { classify: [] as number[], explain: [] as number[] };
  for (let i = 0; i < nImages + 5; i++) {
    const before = await runCount(page);
    await dropFile(page, grayPng(split.images.subarray(i * 784, (i + 1) * 784), 28, 28), `t${i}.png`, 'image/png');
    await nextResult(page, before);
    if (i < 5) continue; // the first runs warm up the sessions
    out.classify.push(Number(await page.$eval(`[data-model="${model}"] .timing`, (el) => (el as HTMLElement).dataset.inferenceMs)));
    if (explain) out.explain.push(Number(await page.$eval('#explanation', (el) => (el as HTMLElement).dataset.explainMs)));
  }
  return out;
}

try {
  const loads: Awaited<ReturnType<typeof coldLoad>>[] = [];
  for (let i = 0; i < runs; i++) loads.push(await coldLoad());
  const firstMs = loads.map((l) => l.ms);
  const { first, repeat } = loads.at(-1)!;
  const bytes = new Map<string, number>();
  for (const t of first) bytes.set(kind(t.name), (bytes.get(kind(t.name)) ?? 0) + t.transferSize);

  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
  const threads = await page.evaluate(() => (crossOriginIsolated ? 'cross-origin isolated' : 'NOT isolated'));
  const times = (await inferenceTimes(page, site.defaultModel, false)).classify;
  const cnn = site.models.some((m) => m.name === 'cnn') ? (await inferenceTimes(page, 'cnn', false)).classify : [];
  const explained = new Map<string, { classify: number[]; explain: number[] }>();
  for (const m of site.models) if (m.explain) explained.set(m.name, await inferenceTimes(page, m.name, true));

  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  console.log(
    `web demo bench: headless Chromium ${browser.version()}, ${real ? 'exported models' : 'FIXTURE models (export the real ones for real figures)'}, page ${threads}`,
  );
  console.log(
    `page load to first prediction (cold cache, ${runs} runs): median ${median(firstMs).toFixed(0)} ms, min ${Math.min(...firstMs).toFixed(0)} ms, max ${Math.max(...firstMs).toFixed(0)} ms`,
  );
  console.log('  steps (ms after navigation start, median over the cold loads; worker steps sent from the worker):');
  const stepNames = [...new Set(loads.flatMap((l) => Object.keys(l.steps)))];
  // Only the steps each run took before its first prediction (the other models load afterwards, in the background).
  const before = (l: (typeof loads)[number], n: string) => (n in l.steps && l.steps[n]! <= l.ms ? [l.steps[n]!] : []);
  const stepMedians = stepNames.flatMap((n) => {
    const ts = loads.flatMap((l) => before(l, n));
    return ts.length === loads.length ? [[n, median(ts)] as const] : [];
  });
  for (const [n, t] of stepMedians.sort((a, b) => a[1] - b[1])) console.log(`    ${t.toFixed(0).padStart(6)}  ${n}`);
  console.log(`${median(firstMs).toFixed(0).padStart(10)}  first prediction on screen`);
  const stats = (xs: number[]) =>
    `median ${median(xs).toFixed(3)} ms, p90 ${quantile(xs, 0.9).toFixed(3)} ms, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)} ms`;
  const weightsOf = (name: string) => site.models.find((m) => m.name === name)?.weights;
  console.log(
    `${site.defaultModel} (the default, ${weightsOf(site.defaultModel)}) inference per image on wasm (${times.length} images, one per session.run): ${stats(times)}`,
  );
  if (cnn.length > 0) console.log(`CNN (${weightsOf('cnn')}) inference per image on wasm (${cnn.length} images): ${stats(cnn)}`);
  // With Explain on, the explanation graph gives the answer too (one run per image): its session.run is the model's whole cost.
  for (const [name, t] of explained) {
    console.log(
      `${name} with Explain on (answer and heatmap from the explanation graph, float32, wasm; ${t.explain.length} images): ${stats(t.explain)} per image`,
    );
  }
  console.log(
    `transferred by a first visit with its first prediction (both models, gallery; page and inference worker, Resource Timing transfer sizes): ${mb(totalBytes(first))}`,
  );
  for (const [k, b] of [...bytes.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(22)} ${mb(b)}`);
  console.log(
    `transferred by a repeat visit (same browser context): ${(totalBytes(repeat) / 1e3).toFixed(1)} KB in ${repeat.filter((t) => t.transferSize > 0).length} responses`,
  );

  if (lhRuns > 0) {
    const lh = await lighthouseRuns(`${server.url}/`, lhRuns, { log: console.log, saveDir: values['lighthouse-out'] && userPath(values['lighthouse-out']) });
    const med = (f: (r: (typeof lh.runs)[number]) => number) => median(lh.runs.map(f));
    const range = (f: (r: (typeof lh.runs)[number]) => number) => `${Math.min(...lh.runs.map(f)).toFixed(0)}-${Math.max(...lh.runs.map(f)).toFixed(0)}`;
    console.log(`Lighthouse ${lh.version}, mobile defaults (simulated slow 4G, 4x CPU slowdown), median of ${lhRuns} runs:`);
    console.log(
      `  performance ${med((r) => r.performance)} (${range((r) => r.performance)}), accessibility ${med((r) => r.accessibility)}, best practices ${med((r) => r.bestPractices)}`,
    );
    console.log(
      `  total blocking time ${med((r) => r.tbt).toFixed(0)} ms (${range((r) => r.tbt)}), FCP ${med((r) => r.fcp).toFixed(0)} ms, LCP ${med((r) => r.lcp).toFixed(0)} ms, speed index ${med((r) => r.speedIndex).toFixed(0)} ms`,
    );
    console.log(`  bytes: first visit ${mb(med((r) => r.bytes))}, repeat visit ${(med((r) => r.repeatBytes) / 1e3).toFixed(1)} KB`);
    if (lh.failures.length > 0) console.log(`  audits that failed in some run: ${lh.failures.join(', ')}`);
  }

  if (values.screenshot) {
    const out = userPath(values.screenshot);
    await mkdir(dirname(out), { recursive: true });
    const shot = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await shot.goto(`${server.url}/`);
    await shot.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
    const choice = values['screenshot-model'];
    await shot.locator(`input[name="model"][value="${choice === 'both' ? 'both' : choice}"]`).check();
    const photo = values.photo;
    const before = await runCount(shot);
    if (existsSync(photo)) await dropFile(shot, readFileSync(photo), basename(photo), 'image/jpeg');
    else await dropFile(shot, grayPng(onePerClass(split)[0]!.pixels, 28, 28), 'test.png', 'image/png');
    await nextResult(shot, before);
    await shot.locator('#compare').click();
    await shot.waitForFunction(() => document.getElementById('server-result')!.dataset.state === 'done');
    await shot.waitForFunction(() => document.querySelectorAll('#gallery img').length > 0);
    await shot.screenshot({ path: resolve(out), fullPage: true });
    console.log(`screenshot: ${out}`);
  }
} finally {
  await browser.close();
  await server.close();
  await site.cleanup();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
}
