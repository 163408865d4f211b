import type { Page } from 'playwright-core';

export interface Transfer {
  name: string;
  /** Bytes received for it: 0 for a cache hit, headers only for a 304. */
  transferSize: number;
}

/**
 * What the page and its inference worker received, from their Resource
 * Timing entries (the worker's requests never show in the page's own list).
 */
export async function transfers(page: Page): Promise<Transfer[]> {
  const read = () =>
    (performance.getEntriesByType('navigation') as PerformanceResourceTiming[])
      .concat(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .map((e) => ({ name: e.name, transferSize: e.transferSize }));
  // onnxruntime's own threads (started from its ort.* chunk) sit in wasm waits and never answer: ask the inference worker only.
  const workers = page.workers().filter((w) => !/\/ort\.[^/]*$/.test(w.url()));
  const fromWorkers = await Promise.all(workers.map((w) => w.evaluate(read)));
  return [...(await page.evaluate(read)), ...fromWorkers.flat()];
}

export const totalBytes = (ts: readonly Transfer[]) => ts.reduce((a, t) => a + t.transferSize, 0);
