import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import type { RunningServer } from '@fmnist/serve';
import { dropFile, launch, nextResult, runCount, shownTop1, watchErrors } from './support/browser.ts';
import { DEMO_CSP } from './support/csp.ts';
import { onePerClass } from './support/images.ts';
import { grayPng } from './support/png.ts';
import { referenceTop1 } from './support/reference.ts';
import { startDemoServer } from './support/server.ts';
import { siteWithModels, type Site } from './support/site.ts';
import { totalBytes, transfers } from './support/transfers.ts';

/**
 * How the page loads: a visible loading state, onnxruntime-web only in the
 * worker, repeat visits from the HTTP cache, and the whole page under the
 * Content-Security-Policy the server is to send. On the shipped models: missing,
 * the test fails rather than run on fixtures.
 */
const realModels = resolveModelsDir();
requireModelFiles(realModels, ['cnn.onnx', 'mlp.onnx']);
const dataDir = testDataDir();
/** A repeat visit may revalidate the HTML, the manifest and the models (304s) and fetch the gallery; nothing more. */
const REPEAT_VISIT_MAX_BYTES = 100_000;

describe.skipIf(!dataDir)('web demo loading, caching and CSP in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let site: Site;
  let images: ReturnType<typeof onePerClass>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const modelsDir = realModels;
    images = onePerClass(await loadSplit(dataDir!, 'test', { verify: false }));
    site = await siteWithModels(modelsDir);
    cleanups.push(site.cleanup);
    server = await startDemoServer({ modelsDir, siteDir: site.dir, dataDir: dataDir! });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const c of cleanups) await c();
  });

  it('shows a loading state until the model is ready, and answers a file dropped meanwhile as soon as it is', async () => {
    const context = await browser.newContext();
    try {
      let release = () => {};
      const held = new Promise<void>((r) => (release = r));
      // Hold the model list back, so the page stays in its loading state for as long as the test looks.
      await context.route('**/onnx/models.json', async (route) => {
        await held;
        await route.continue();
      });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.url}/`);
      expect(await page.$eval('#app', (el) => (el as HTMLElement).dataset.state)).toBe('loading');
      expect(await page.locator('#loading').isVisible()).toBe(true);
      expect(await page.locator('#status').textContent()).toMatch(/Loading the .*model/);
      // The page answers input while the model loads.
      await dropFile(page, grayPng(images[3]!.pixels, 28, 28), 'dress.png', 'image/png');
      await page.waitForFunction(() => document.getElementById('input28') !== null && !document.getElementById('result')!.hidden);
      expect(await runCount(page)).toBe(0);
      release();
      expect(await nextResult(page, 0)).toBe('done');
      expect(await shownTop1(page, site.defaultModel)).toBe((await referenceTop1(site.modelFile(site.defaultModel), [images[3]!.pixels]))[0]);
      expect(await page.locator('#loading').isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('answers with the JavaScript kernels while the runtime is held back, then with onnxruntime, the same top-1 both times', async () => {
    const context = await browser.newContext();
    try {
      let release = () => {};
      const held = new Promise<void>((r) => (release = r));
      // Hold onnxruntime's wasm back: until it arrives, only the kernels can answer.
      await context.route('**/*.wasm', async (route) => {
        await held;
        await route.continue();
      });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.url}/`);
      const runtime = () => page.$eval(`[data-model="${site.defaultModel}"] .timing`, (el) => (el as HTMLElement).dataset.runtime);
      const expected = await referenceTop1(site.modelFile(site.defaultModel), [images[5]!.pixels, images[9]!.pixels]);
      await dropFile(page, grayPng(images[5]!.pixels, 28, 28), 'sandal.png', 'image/png');
      expect(await nextResult(page, 0)).toBe('done');
      expect(await runtime()).toBe('javascript');
      expect(await shownTop1(page, site.defaultModel)).toBe(expected[0]);
      release();
      await page.waitForFunction((m) => performance.getEntriesByName(`fmnist:warmed-up:wasm:${m}`).length > 0, site.defaultModel, { timeout: 60_000 });
      await dropFile(page, grayPng(images[9]!.pixels, 28, 28), 'boot.png', 'image/png');
      expect(await nextResult(page, 1)).toBe('done');
      expect(await runtime()).toBe('onnxruntime');
      expect(await shownTop1(page, site.defaultModel)).toBe(expected[1]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('runs onnxruntime-web in its worker only, and a second visit comes from the HTTP cache', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
      // The page itself fetches no onnxruntime file and no model: the worker does (a page-side preload of the wasm
      // would stream its 14 MB through the main thread, which Lighthouse counted as over a second of blocking).
      const onPage = (await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))).filter((n) => /\.wasm$|\/ort\.|\.onnx$/.test(n));
      expect(onPage).toEqual([]);
      // Everything the first visit fetches must be in before the second starts: a download cut short by the
      // navigation is not cached (on a loaded CI machine the gallery's images were still arriving).
      await page.waitForFunction(() => document.querySelectorAll('#gallery button').length > 0);
      await page.waitForLoadState('networkidle');
      const first = await transfers(page);
      // Downloaded once ...
      const wasm = first.filter((t) => t.name.endsWith('.wasm') && t.transferSize > 0);
      expect(wasm.length).toBe(1);
      // ... and sent brotli-compressed: well under the 14 MB file.
      expect(wasm[0]!.transferSize).toBeLessThan(4_000_000);
      expect(first.some((t) => t.name.endsWith('.onnx'))).toBe(true);

      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelectorAll('#gallery button').length > 0);
      const repeat = await transfers(page);
      const total = totalBytes(repeat);
      console.log(`first visit ${totalBytes(first)} B, repeat visit ${total} B (page and inference worker, Resource Timing)`);
      const big = repeat.filter((t) => t.transferSize > 20_000).map((t) => `${t.name} ${t.transferSize} B`);
      expect(big, 'nothing large is downloaded again').toEqual([]);
      expect(total).toBeLessThan(REPEAT_VISIT_MAX_BYTES);
      expect(repeat.find((t) => t.name.endsWith('.wasm'))?.transferSize).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('works under the Content-Security-Policy the server is to send: classify, gallery, server comparison', async () => {
    const context = await browser.newContext();
    try {
      await context.route('**/*', async (route) => {
        // Playwright fetches on its own keep-alive sockets: one the server closes as idle at the moment a request
        // goes out on it is reset (CI saw it once), where a browser would retry. Retried here too; a fetch that
        // still fails is aborted, so the page sees the failure, instead of an unhandled rejection in the runner.
        let response: Awaited<ReturnType<typeof route.fetch>>;
        try {
          response = await route.fetch({ maxRetries: 2 });
        } catch {
          await route.abort('failed').catch(() => {});
          return;
        }
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': DEMO_CSP } });
      });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.addInitScript(() => {
        const seen: string[] = [];
        (globalThis as unknown as { cspViolations: string[] }).cspViolations = seen;
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
      let before = await runCount(page);
      await dropFile(page, grayPng(images[7]!.pixels, 28, 28), 'sneaker.png', 'image/png');
      expect(await nextResult(page, before)).toBe('done');
      before = await runCount(page);
      await page.locator('#gallery button').first().click();
      expect(await nextResult(page, before)).toBe('done');
      await page.locator('#compare').click();
      await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('server-result')!.dataset.state ?? ''));
      expect(await page.$eval('#server-result', (el) => `${(el as HTMLElement).dataset.state}: ${el.textContent}`)).toMatch(/^done/);
      expect(await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
