import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplit, resolveSamplePhotoDir, resolveModelsDir } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import type { RunningServer } from '@fmnist/serve';
import { pixelDifference } from '../src/parity.ts';
import { compareWithServer, dropFile, launch, nextResult, runCount, shownInput, shownTop1, watchErrors } from './support/browser.ts';
import { browserFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';
import { grayPng } from './support/png.ts';
import { onePerClass } from './support/images.ts';
import { startDemoServer } from './support/server.ts';
import { siteWithModels, type Site } from './support/site.ts';

/**
 * Preprocessing parity: the browser (createImageBitmap + canvas) and the
 * server (sharp) decode differently but hand raw pixels to the same core
 * function. The same real photos and test images through both must give
 * 28x28 inputs within a few gray levels and the same top-1 answer.
 */
const PHOTOS = resolveSamplePhotoDir();
/** Largest per-pixel difference allowed between the two 28x28 inputs. */
const MAX_GRAY_DIFF = 8;

// The server at its defaults: sharp only decodes and auto-orients; core shrinks, in both places.

const dataDir = testDataDir();
const havePhotos = existsSync(join(PHOTOS, 'labels.json'));
if (!havePhotos) console.warn(`${PHOTOS} is missing: the parity test runs on test images only`);
const realModels = resolveModelsDir();
const haveReal = ['cnn', 'mlp'].every((m) => existsSync(join(realModels, `${m}.onnx`)));

describe.skipIf(!dataDir)('browser and server preprocessing agree', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let site: Site;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    let modelsDir = realModels;
    if (!haveReal) {
      // Until the exported models exist, a nearest-centroid fixture: its top-1 still depends on every pixel.
      modelsDir = await mkdtemp(join(tmpdir(), 'fmnist-parity-models-'));
      const dir = modelsDir;
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFixtureModels(modelsDir, browserFixtureWeights(await loadSplit(dataDir!, 'test', { verify: false })));
    }
    site = await siteWithModels(modelsDir);
    cleanups.push(site.cleanup);
    server = await startDemoServer({ modelsDir, siteDir: site.dir, dataDir: dataDir! });
    browser = await launch();
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'ready', null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const c of cleanups) await c();
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

  it('on real photos', { skip: !havePhotos }, async () => {
    const files = (JSON.parse(readFileSync(join(PHOTOS, 'labels.json'), 'utf8')) as { file: string }[]).map((l) => l.file);
    const results = [];
    for (const file of files) results.push(await both(readFileSync(join(PHOTOS, file)), file, 'image/jpeg'));
    console.log(`parity on ${results.length} photos (${haveReal ? 'exported' : 'fixture'} models): ` + results.map((r) => `${r.name} max ${r.diff.max} mean ${r.diff.mean.toFixed(2)} top1 ${r.browserTop1}/${r.serverTop1}`).join('; '));
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
