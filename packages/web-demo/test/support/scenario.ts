import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSplit } from '@fmnist/core/node';
import type { RunningServer } from '@fmnist/serve';
import { PACKAGE_DIR } from '../../scripts/build-state.ts';
import { dropFile, launch, WEBGPU_ARGS, nextResult, runCount, shownInput, shownTop1, watchErrors } from './browser.ts';
import { onePerClass } from './images.ts';
import { grayPng } from './png.ts';
import { referenceTop1 } from './reference.ts';
import { startDemoServer } from './server.ts';
import { siteWithModels, type Site } from './site.ts';

export const ARTIFACTS = join(PACKAGE_DIR, 'test-artifacts');

/**
 * The demo, end to end in Chromium against the real server: real test
 * images dropped on the drop zone must show the models' own answers, the
 * switches must re-run, bad files must give their messages, and the console
 * must stay clean. `models()` says where the .onnx files are (created in beforeAll).
 */
export function demoScenario(opts: { label: string; dataDir: string; models: () => Promise<string>; screenshot: string }): void {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let cleanups: (() => Promise<void>)[] = [];
  let modelsDir: string;
  let site: Site;
  let images: ReturnType<typeof onePerClass>;

  beforeAll(async () => {
    modelsDir = await opts.models();
    site = await siteWithModels(modelsDir);
    cleanups.push(site.cleanup);
    server = await startDemoServer({ modelsDir, siteDir: site.dir, dataDir: opts.dataDir });
    images = onePerClass(await loadSplit(opts.dataDir, 'test', { verify: false }));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    errors = watchErrors(page);
    // File-chooser interception switches on with the first listener, asynchronously: turned on only when the picker
    // test waits for a chooser, it races that test's key press on a busy machine, and the chooser opens unseen.
    page.on('filechooser', () => {});
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('app')!.dataset.state!), null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const c of cleanups) await c();
    cleanups = [];
  });

  it(`${opts.label}: loads cross-origin isolated, with the model ready and the gallery filled`, async () => {
    expect(await page.$eval('#app', (el) => (el as HTMLElement).dataset.state)).toBe('ready');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // The gallery is probed in parallel with the model's warm-up (app.ts), so on a busy machine it may fill after
    // the page says ready: wait for it rather than race it.
    await page.locator('#gallery button').first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#gallery button').count()).toBeGreaterThan(0);
    expect(await page.locator('#compare').isVisible()).toBe(false); // no image yet, result hidden
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: shows the model's own answer for real test images dropped on the page`, async () => {
    const first = site.defaultModel;
    const expected = await referenceTop1(
      site.modelFile(first),
      images.map((i) => i.pixels),
    );
    for (const [i, img] of images.entries()) {
      const before = await runCount(page);
      await dropFile(page, grayPng(img.pixels, 28, 28), `test-${img.index}.png`, 'image/png');
      expect(await nextResult(page, before)).toBe('done');
      expect(await shownTop1(page, first), `test image ${img.index}`).toBe(expected[i]);
      // A test image is already Fashion-MNIST-like: the input shown is the image itself.
      expect(Buffer.from(await shownInput(page)).equals(Buffer.from(img.pixels))).toBe(true);
    }
    // The panel says which weights answered: the ones the build picked (int8 where exported).
    const model = site.models.find((m) => m.name === first)!;
    expect(await page.$eval(`[data-model="${first}"]`, (el) => (el as HTMLElement).dataset.weights)).toBe(model.weights);
    // And which model answered: its file, and (calibrated models only) whether it is unsure, by the server's rule.
    expect(await page.$eval(`[data-model="${first}"] h3`, (el) => el.textContent)).toContain(model.file);
    const uncertain = await page.$eval(`[data-model="${first}"]`, (el) => (el as HTMLElement).dataset.uncertain);
    if (!model.calibration) expect(uncertain).toBeUndefined();
    else {
      // The server's `uncertain` for the same image (the last one dropped) and the same file.
      const form = new FormData();
      form.set('image', new Blob([Uint8Array.from(grayPng(images.at(-1)!.pixels, 28, 28))], { type: 'image/png' }), 'last.png');
      form.set('model', model.file.replace(/\.onnx$/, ''));
      const body = (await (await fetch(`${server.url}/classify`, { method: 'POST', body: form })).json()) as { uncertain?: boolean };
      expect(uncertain).toBe(String(body.uncertain));
    }
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: takes a file from the keyboard-reachable picker and from a paste`, async () => {
    // Tab from the top of the page to the picker button, open it with Enter.
    await page.locator('body').focus();
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.id === 'pick')); i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pick');
    let before = await runCount(page);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    await chooser.setFiles({ name: 'picked.png', mimeType: 'image/png', buffer: Buffer.from(grayPng(images[1]!.pixels, 28, 28)) });
    expect(await nextResult(page, before)).toBe('done');
    expect(await shownTop1(page, site.defaultModel)).toBe((await referenceTop1(site.modelFile(site.defaultModel), [images[1]!.pixels]))[0]);

    before = await runCount(page);
    await page.evaluate(
      (data) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(data)], 'pasted.png', { type: 'image/png' }));
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      },
      Array.from(grayPng(images[2]!.pixels, 28, 28)),
    );
    expect(await nextResult(page, before)).toBe('done');
    expect(Buffer.from(await shownInput(page)).equals(Buffer.from(images[2]!.pixels))).toBe(true);
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: switches model, shows all side by side, and reports the backends`, async () => {
    const img = images[7]!;
    const [cnn, mlp] = await Promise.all(['cnn', 'mlp'].map(async (m) => (await referenceTop1(site.modelFile(m), [img.pixels]))[0]!));
    let before = await runCount(page);
    await dropFile(page, grayPng(img.pixels, 28, 28), 'sneaker.png', 'image/png');
    await nextResult(page, before);

    before = await runCount(page);
    await page.getByLabel('MLP').check();
    expect(await nextResult(page, before)).toBe('done');
    expect(await page.locator('.model-result').count()).toBe(1);
    expect(await shownTop1(page, 'mlp')).toBe(mlp);

    before = await runCount(page);
    await page.getByLabel('All, side by side').check();
    expect(await nextResult(page, before)).toBe('done');
    expect(await page.locator('.model-result').count()).toBe(site.models.length);
    expect(await shownTop1(page, 'cnn')).toBe(cnn);
    expect(await shownTop1(page, 'mlp')).toBe(mlp);

    // WebGPU: this headless Chromium runs with --disable-gpu, so the page must offer it disabled, with the reason.
    const webgpu = page.getByLabel('WebGPU');
    if (await webgpu.isDisabled()) {
      expect(await page.locator('#webgpu-note').textContent()).toMatch(/not available/);
    } else {
      before = await runCount(page);
      await webgpu.check();
      expect(await nextResult(page, before)).toBe('done');
      expect(await page.locator('.model-result[data-backend="webgpu"]').count()).toBe(site.models.length);
      expect(await shownTop1(page, 'cnn')).toBe(cnn);
    }
    before = await runCount(page);
    await page.getByLabel('WebAssembly').check();
    await page.getByLabel('CNN', { exact: true }).check();
    await page.waitForFunction(
      (n) => Number(document.getElementById('app')!.dataset.run) >= n + 1 && document.getElementById('app')!.dataset.state === 'done',
      before,
    );
    expect(await page.locator('.model-result[data-backend="wasm"][data-model="cnn"]').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: runs every model on the WebGPU backend where the browser has an adapter`, async () => {
    const gpuBrowser = await launch(WEBGPU_ARGS);
    try {
      const gpu = await gpuBrowser.newPage();
      const gpuErrors = watchErrors(gpu);
      await gpu.goto(`${server.url}/`);
      await gpu.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
      await gpu.waitForFunction(() => !(document.querySelector('input[value="webgpu"]') as HTMLInputElement).disabled);
      await gpu.getByLabel('All, side by side').check();
      await gpu.getByLabel('WebGPU').check();
      const img = images[9]!;
      const before = await runCount(gpu);
      await dropFile(gpu, grayPng(img.pixels, 28, 28), 'boot.png', 'image/png');
      // The first WebGPU answer loads a second runtime (27 MB of wasm) and builds two sessions on a software adapter.
      expect(await nextResult(gpu, before, 180_000)).toBe('done');
      expect(await gpu.locator('.model-result[data-backend="webgpu"]').count()).toBe(site.models.length);
      for (const m of site.models.map((s) => s.name)) expect(await shownTop1(gpu, m), m).toBe((await referenceTop1(site.modelFile(m), [img.pixels]))[0]);
      // onnxruntime-web warns on stderr-like console channels about CPU fallbacks; errors must not appear.
      expect(gpuErrors).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  });

  it(`${opts.label}: compares with POST /classify on the same file`, async () => {
    await page.locator('#compare').click();
    await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('server-result')!.dataset.state ?? ''));
    expect(await page.$eval('#server-result', (el) => (el as HTMLElement).dataset.state)).toBe('done');
    const row = page.locator('#server-result .server-row[data-model="cnn"]');
    expect(Number(await row.getAttribute('data-server-index'))).toBe(await shownTop1(page, 'cnn'));
    // The server ran the same file as the browser (e.g. cnn.int8), not just a model of the same name.
    expect(await row.getAttribute('data-server-model')).toBe(site.models.find((m) => m.name === 'cnn')!.file.replace(/\.onnx$/, ''));
    expect(await row.locator('.agree').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: says what is wrong with a non-image and a damaged image`, async () => {
    let before = await runCount(page);
    await dropFile(page, new TextEncoder().encode('these are not the pixels you are looking for\n'), 'notes.txt', 'text/plain');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'error');
    expect(await page.locator('#error').textContent()).toMatch(/"notes\.txt" is not an image/);
    expect(await runCount(page)).toBe(before);

    const png = grayPng(images[0]!.pixels, 28, 28);
    await dropFile(page, png.subarray(0, 40), 'cut.png', 'image/png');
    await page.waitForFunction(() => /could not be decoded/.test(document.getElementById('error')!.textContent ?? ''));
    expect(await page.locator('#error').isVisible()).toBe(true);

    // A good image afterwards clears the message.
    before = await runCount(page);
    await dropFile(page, png, 'ok.png', 'image/png');
    expect(await nextResult(page, before)).toBe('done');
    expect(await page.locator('#error').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it(`${opts.label}: explains itself in a browser without WebAssembly`, async () => {
    const context = await browser.newContext();
    try {
      const bare = await context.newPage();
      const bareErrors = watchErrors(bare);
      await bare.addInitScript(() => Reflect.deleteProperty(globalThis, 'WebAssembly'));
      await bare.goto(`${server.url}/`);
      await bare.waitForFunction(() => document.getElementById('app')!.dataset.state === 'error');
      expect(await bare.locator('#error').textContent()).toMatch(/no WebAssembly/);
      expect(await bare.locator('#pick').isDisabled()).toBe(true);
      expect(bareErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it(`${opts.label}: a gallery click classifies that test image`, async () => {
    const before = await runCount(page);
    await page.locator('#gallery button').first().click();
    expect(await nextResult(page, before)).toBe('done');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, opts.screenshot), fullPage: true });
    expect(errors).toEqual([]);
  });
}
