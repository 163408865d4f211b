import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_NAMES, EXPLAIN_DIR, SHIPPED_MODELS, loadSplit, resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir, testPhotoDir } from '@fmnist/core/testing';
import type { RunningServer } from '@fmnist/serve';
import { dropFile, launch, nextResult, runCount, watchErrors } from './support/browser.ts';
import { onePerClass } from './support/images.ts';
import { grayPng } from './support/png.ts';
import { startDemoServer } from './support/server.ts';
import { siteWithModels, type Site } from './support/site.ts';

/**
 * The Explain switch in real Chromium on the exported models and their
 * explanation graphs (models/explain/*.onnx): the overlay appears, on the
 * 28x28 input and on a photo's garment, for the answer and for another
 * class, and its 784 numbers equal the server's (onnxruntime-node running
 * the same graph, `POST /classify?explain=1`) within 1e-4.
 */
const modelsDir = resolveModelsDir();
// Every shipped model and its explanation graph: missing, the test fails rather than skips.
const explained = [...SHIPPED_MODELS];
requireModelFiles(
  modelsDir,
  explained.flatMap((m) => [`${m}.onnx`, join(EXPLAIN_DIR, `${m}.onnx`)]),
);
const dataDir = testDataDir();
const photos = testPhotoDir('samples');
const TOLERANCE = 1e-4;

interface ServerMap {
  class: { index: number };
  heatmap: number[][];
}

describe.skipIf(!dataDir)('web demo Explain switch in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let site: Site;
  let errors: string[];
  let images: ReturnType<typeof onePerClass>;

  beforeAll(async () => {
    site = await siteWithModels(modelsDir);
    server = await startDemoServer({ modelsDir, siteDir: site.dir, dataDir: dataDir! });
    images = onePerClass(await loadSplit(dataDir!, 'test', { verify: false }));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    errors = watchErrors(page);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('app')!.dataset.state!), null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.cleanup();
  });

  /** The server's heatmaps for a file (onnxruntime-node, the same graph). */
  async function serverMaps(bytes: Uint8Array, name: string, type: string, model: string, explainClass?: number): Promise<ServerMap[]> {
    const form = new FormData();
    form.set('image', new Blob([Uint8Array.from(bytes)], { type }), name);
    form.set('model', model);
    form.set('explain', '1');
    if (explainClass !== undefined) form.set('explain_class', String(explainClass));
    const res = await fetch(`${server.url}/classify`, { method: 'POST', body: form });
    const body = (await res.json()) as { explanation?: { maps: ServerMap[] } };
    if (!res.ok || !body.explanation) throw new Error(`server: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body.explanation.maps;
  }

  /** The page's explanation once it is drawn: the class it explains and its 784 numbers. */
  async function shownExplanation(): Promise<{ model: string; explainedClass: number; heatmap: number[] }> {
    await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('explanation')!.dataset.state ?? ''));
    const state = await page.$eval('#explanation', (el) => `${(el as HTMLElement).dataset.state}: ${el.textContent}`);
    if (!state.startsWith('done')) throw new Error(`explanation failed: ${state}`);
    return page.evaluate(() => {
      const box = document.getElementById('explanation')!;
      return {
        model: box.dataset.model!,
        explainedClass: Number(box.dataset.explainedClass),
        heatmap: JSON.parse(document.getElementById('explain-input')!.dataset.heatmap!) as number[],
      };
    });
  }

  const maxDiff = (a: number[], rows: number[][]) => Math.max(...rows.flat().map((v, i) => Math.abs(v - a[i]!)));

  /**
   * The run count once the page is idle: a control change (model, Explain,
   * class) re-runs the image on screen, and that run finishing after the
   * count was read would pass for the next one.
   */
  async function idleRunCount(): Promise<number> {
    await page.waitForFunction(() => document.getElementById('app')!.dataset.state !== 'busy');
    return runCount(page);
  }

  async function choose(model: string): Promise<void> {
    await page.locator(`input[name="model"][value="${model}"]`).check();
  }

  it('offers Explain only for models with an explanation graph, and says why not', async () => {
    for (const m of site.models) {
      await choose(m.name);
      const disabled = await page.locator('#explain').isDisabled();
      expect(disabled, m.name).toBe(!m.explain);
      if (!m.explain) expect(await page.locator('#explain-note').textContent()).toMatch(/no explanation graph/);
    }
  });

  it.each(explained)("%s: overlays the heatmap of its answer on the 28x28 input, equal to the server's within 1e-4", async (model) => {
    await choose(model);
    await page.locator('#explain').check();
    await page.locator('#explain-class').selectOption('-1');
    const img = images[4]!; // a coat
    const png = grayPng(img.pixels, 28, 28);
    const before = await idleRunCount();
    await dropFile(page, png, 'coat.png', 'image/png');
    expect(await nextResult(page, before)).toBe('done');
    const shown = await shownExplanation();
    expect(shown.model).toBe(model);
    expect(shown.heatmap).toHaveLength(784);
    expect(Math.max(...shown.heatmap)).toBeGreaterThan(0);
    expect(await page.locator('#explanation').isVisible()).toBe(true);
    const [top] = await serverMaps(png, 'coat.png', 'image/png', model);
    expect(shown.explainedClass).toBe(top!.class.index);
    expect(maxDiff(shown.heatmap, top!.heatmap)).toBeLessThanOrEqual(TOLERANCE);
    // The explanation graph gave the answer too (one run): the panel says so, and its answer is the explained top class.
    const panel = page.locator(`.model-result[data-model="${model}"]`);
    expect(await panel.getAttribute('data-file')).toBe(`explain/${model}.onnx`);
    expect(await panel.getAttribute('data-weights')).toBe('float32');
    expect(Number(await panel.locator('.top-label').getAttribute('data-index'))).toBe(top!.class.index);
    // The overlay is drawn: the input canvas is not the plain grey input any more.
    const coloured = await page.$eval('#explain-input', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2]) n++;
      return n;
    });
    expect(coloured).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it.each(explained)('%s: explains another class on request ("why not ...?"), equal to the server\'s explain_class map', async (model) => {
    await choose(model);
    await page.locator('#explain').check();
    const img = images[6]!; // a shirt
    const png = grayPng(img.pixels, 28, 28);
    let before = await idleRunCount();
    await dropFile(page, png, 'shirt.png', 'image/png');
    await nextResult(page, before);
    const top = (await shownExplanation()).explainedClass;
    const other = top === 4 ? 2 : 4; // Coat, or Pullover when Coat is the answer
    before = await idleRunCount();
    await page.locator('#explain-class').selectOption(String(other));
    expect(await nextResult(page, before)).toBe('done');
    const shown = await shownExplanation();
    expect(shown.explainedClass).toBe(other);
    expect(await page.locator('#explain-text').textContent()).toContain(`Why not ${CLASS_NAMES[other]}?`);
    const maps = await serverMaps(png, 'shirt.png', 'image/png', model, other);
    const requested = maps.find((m) => m.class.index === other)!;
    expect(maxDiff(shown.heatmap, requested.heatmap)).toBeLessThanOrEqual(TOLERANCE);
    await page.locator('#explain-class').selectOption('-1');
    expect(errors).toEqual([]);
  });

  it.skipIf(!photos)('draws the map over the garment of a photo, with the same numbers as the server', async () => {
    const model = explained[0]!;
    await choose(model);
    await page.locator('#explain').check();
    const bytes = readFileSync(join(photos!, 'dress_01.jpg'));
    const before = await idleRunCount();
    await dropFile(page, bytes, 'dress_01.jpg', 'image/jpeg');
    expect(await nextResult(page, before)).toBe('done');
    const shown = await shownExplanation();
    const [top] = await serverMaps(bytes, 'dress_01.jpg', 'image/jpeg', model);
    expect(shown.explainedClass).toBe(top!.class.index);
    expect(maxDiff(shown.heatmap, top!.heatmap)).toBeLessThanOrEqual(TOLERANCE);
    const size = await page.$eval('#explain-photo', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(Math.max(...size)).toBe(280);
    expect(errors).toEqual([]);
  });
});
