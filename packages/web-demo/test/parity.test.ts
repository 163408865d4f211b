import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir, testPhotoDir } from '@fmnist/core/testing';
import type { RunningServer } from '@fmnist/serve';
import { pixelDifference } from '../src/parity.ts';
import { compareWithServer, dropFile, launch, nextResult, runCount, shownInput, shownTop1, watchErrors } from './support/browser.ts';
import { grayPng } from './support/png.ts';
import { onePerClass } from './support/images.ts';
import { startDemoServer } from './support/server.ts';
import { siteWithModels, type Site } from './support/site.ts';

/**
 * Preprocessing parity: the browser (createImageBitmap + canvas) and the
 * server (sharp) decode differently but hand raw pixels to the same core
 * function. Chromium's and sharp's full decodes of the sample JPEGs are
 * bit-identical (the web demo's README), so the same real photos and test
 * images through both must give the same 28x28 inputs and the same top-1.
 */
/** Largest per-pixel difference allowed between the two 28x28 inputs: none, as the README claims. */
const MAX_GRAY_DIFF = 0;

// The server at its defaults: sharp only decodes and auto-orients; core shrinks, in both places.

const dataDir = testDataDir();
// Missing, the photo half skips with a message; under REQUIRE_DATA=1 it fails.
const PHOTOS = testPhotoDir('samples');
const realModels = resolveModelsDir();
// The shipped models: missing, the test fails rather than run on a fixture.
requireModelFiles(realModels, ['cnn.onnx', 'mlp.onnx']);

describe.skipIf(!dataDir)('browser and server preprocessing agree', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let site: Site;

  beforeAll(async () => {
    site = await siteWithModels(realModels);
    server = await startDemoServer({ modelsDir: realModels, siteDir: site.dir, dataDir: dataDir! });
    browser = await launch();
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.cleanup();
  });

  async function both(bytes: Uint8Array, name: string, type: string) {
    const before = await runCount(page);
    await dropFile(page, bytes, name, type);
    expect(await nextResult(page, before), name).toBe('done');
    const browserInput = await shownInput(page);
    const browserTop1 = await shownTop1(page, site.defaultModel);
    const { serverTop1, serverInput } = await compareWithServer(page, site.defaultModel);
    return { name, browserTop1, serverTop1, diff: pixelDifference(browserInput, serverInput) };
  }

  it('on real photos', { skip: !PHOTOS }, async () => {
    const files = (JSON.parse(readFileSync(join(PHOTOS!, 'labels.json'), 'utf8')) as { file: string }[]).map((l) => l.file);
    const results = [];
    for (const file of files) results.push(await both(readFileSync(join(PHOTOS!, file)), file, 'image/jpeg'));
    console.log(
      `parity on ${results.length} photos: ${results.map((r) => `${r.name} max ${r.diff.max} mean ${r.diff.mean.toFixed(2)} top1 ${r.browserTop1}/${r.serverTop1}`).join('; ')}`,
    );
    for (const r of results) {
      expect(r.diff.max, `${r.name}: largest gray-level difference`).toBeLessThanOrEqual(MAX_GRAY_DIFF);
      expect(r.browserTop1, `${r.name}: browser vs server top-1`).toBe(r.serverTop1);
    }
    expect(errors).toEqual([]);
  });

  it('on test images', async () => {
    const images = onePerClass(await loadSplit(dataDir!, 'test', { verify: false }));
    for (const img of images) {
      const r = await both(grayPng(img.pixels, 28, 28), `test-${img.index}.png`, 'image/png');
      // Test images pass through unchanged on both sides: exactly equal inputs.
      expect(r.diff.max, r.name).toBe(0);
      expect(r.browserTop1, r.name).toBe(r.serverTop1);
    }
    expect(errors).toEqual([]);
  });
});
