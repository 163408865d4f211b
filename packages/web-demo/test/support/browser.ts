import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's Chromium by default; CHROME_PATH (the variable Lighthouse's launcher reads too) points at another build. */
export const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
/** The team's fixed flags: headless, no network chatter of its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * `--enable-unsafe-webgpu` (extra) gives this GPU-less headless Chromium a
 * software WebGPU adapter (SwiftShader), so the WebGPU backend can be tested for real.
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Collects console errors and uncaught exceptions: a clean page has none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Drops a file on the drop zone the way a drag from the desktop does (dragenter, dragover, drop with a DataTransfer). */
export async function dropFile(page: Page, bytes: Uint8Array, name: string, type: string): Promise<void> {
  await page.evaluate(
    ({ data, name, type }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(data)], name, { type }));
      const zone = document.getElementById('drop')!;
      for (const kind of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt }));
    },
    { data: Array.from(bytes), name, type },
  );
}

/** Completed classifications so far (`data-run` on <main>). */
export function runCount(page: Page): Promise<number> {
  return page.$eval('#app', (el) => Number((el as HTMLElement).dataset.run));
}

/** Waits until the page has finished one more classification than `before`, and returns its state. */
export async function nextResult(page: Page, before: number, timeout = 60_000): Promise<'done' | 'error'> {
  await page.waitForFunction((n) => Number(document.getElementById('app')!.dataset.run) > n, before, { timeout });
  return page.$eval('#app', (el) => (el as HTMLElement).dataset.state as 'done' | 'error');
}

/** The class index the page shows as top-1 for a model. */
export function shownTop1(page: Page, model: string): Promise<number> {
  return page.$eval(`[data-model="${model}"] .top-label`, (el) => Number((el as HTMLElement).dataset.index));
}

/** The 28x28 input the page drew (red channel of the gray canvas). */
export async function shownInput(page: Page): Promise<Uint8Array> {
  const values = await page.$eval('#input28', (c) => {
    const canvas = c as HTMLCanvasElement;
    const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from({ length: canvas.width * canvas.height }, (_, i) => rgba[i * 4]!);
  });
  return Uint8Array.from(values);
}

/** Clicks "Compare with the server" and returns the server's top-1 and the 28x28 input it saw, read from the page. */
export async function compareWithServer(page: Page, model: string): Promise<{ serverTop1: number; serverInput: Uint8Array }> {
  await page.locator('#compare').click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('server-result')!.dataset.state ?? ''), null, { timeout: 60_000 });
  const state = await page.$eval('#server-result', (el) => `${(el as HTMLElement).dataset.state}: ${el.textContent}`);
  if (!state.startsWith('done')) throw new Error(`server comparison failed: ${state}`);
  const row = page.locator(`#server-result .server-row[data-model="${model}"]`);
  const serverTop1 = Number(await row.getAttribute('data-server-index'));
  const values = await row.locator('img').evaluate(async (img) => {
    const image = img as HTMLImageElement;
    await image.decode();
    const canvas = new OffscreenCanvas(image.naturalWidth, image.naturalHeight);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from({ length: canvas.width * canvas.height }, (_, i) => rgba[i * 4]!);
  });
  return { serverTop1, serverInput: Uint8Array.from(values) };
}
