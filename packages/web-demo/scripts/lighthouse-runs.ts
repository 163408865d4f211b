import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/browser.ts';

/** The categories the demo's targets name. */
const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;

export interface LighthouseRun {
  performance: number;
  accessibility: number;
  bestPractices: number;
  /** ms, simulated (4x CPU slowdown, slow 4G). */
  tbt: number;
  fcp: number;
  lcp: number;
  speedIndex: number;
  /** Bytes over the network (Lighthouse's total-byte-weight: transfer sizes, workers included). */
  bytes: number;
  /** The same on a second visit with the browser cache kept. */
  repeatBytes: number;
}

const score = (lhr: LhResult, id: (typeof CATEGORIES)[number]) => Math.round((lhr.categories[id]?.score ?? Number.NaN) * 100);
const numeric = (lhr: LhResult, id: string) => lhr.audits[id]?.numericValue ?? Number.NaN;
type LhResult = NonNullable<Awaited<ReturnType<typeof lighthouse>>>['lhr'];

/**
 * Lighthouse with its defaults (mobile form factor, simulated throttling:
 * slow 4G and a 4x CPU slowdown) in Debian's Chromium (CHROME_PATH). Each
 * run is a cold visit (Lighthouse clears the cache first) followed by a
 * second visit that keeps the cache, for the repeat-visit bytes.
 */
export async function lighthouseRuns(
  url: string,
  runs: number,
  { log = () => {}, saveDir }: { log?: (m: string) => void; saveDir?: string | undefined } = {},
): Promise<{ runs: LighthouseRun[]; version: string; failures: string[] }> {
  const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: CHROMIUM_ARGS });
  const out: LighthouseRun[] = [];
  const failures = new Set<string>();
  let version = '';
  try {
    for (let i = 0; i < runs; i++) {
      const options = { port: chrome.port, output: 'json' as const, logLevel: 'error' as const, onlyCategories: [...CATEGORIES] };
      const cold = (await lighthouse(url, options))?.lhr;
      const warm = (await lighthouse(url, { ...options, disableStorageReset: true }))?.lhr;
      if (!cold || !warm) throw new Error('Lighthouse returned no result');
      if (cold.runtimeError) throw new Error(`Lighthouse: ${cold.runtimeError.message}`);
      version = cold.lighthouseVersion;
      if (saveDir) {
        await mkdir(saveDir, { recursive: true });
        await writeFile(join(saveDir, `run-${i + 1}-first-visit.json`), JSON.stringify(cold));
        await writeFile(join(saveDir, `run-${i + 1}-repeat-visit.json`), JSON.stringify(warm));
      }
      // Which audits cost points, so a score below 100 says why.
      for (const [id, audit] of Object.entries(cold.audits))
        if (audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === 'binary') failures.add(id);
      const run: LighthouseRun = {
        performance: score(cold, 'performance'),
        accessibility: score(cold, 'accessibility'),
        bestPractices: score(cold, 'best-practices'),
        tbt: numeric(cold, 'total-blocking-time'),
        fcp: numeric(cold, 'first-contentful-paint'),
        lcp: numeric(cold, 'largest-contentful-paint'),
        speedIndex: numeric(cold, 'speed-index'),
        bytes: numeric(cold, 'total-byte-weight'),
        repeatBytes: numeric(warm, 'total-byte-weight'),
      };
      log(
        `lighthouse run ${i + 1}/${runs}: performance ${run.performance}, TBT ${run.tbt.toFixed(0)} ms, a11y ${run.accessibility}, best practices ${run.bestPractices}, ${(run.bytes / 1e6).toFixed(2)} MB, repeat ${(run.repeatBytes / 1e3).toFixed(1)} KB`,
      );
      out.push(run);
    }
  } finally {
    chrome.kill();
  }
  return { runs: out, version, failures: [...failures] };
}
