import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRunHistory, parseRunMetrics, RUN_FILES, RunFileError, type RunHistory, type RunMetrics, type RunRecipe } from './run-dir.ts';

/** The JSON in `<dir>/<name>`, or undefined when the file does not exist; unreadable JSON is a RunFileError. */
async function readRunJson(dir: string, name: string): Promise<unknown> {
  const file = join(dir, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunFileError(file, `is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** `<dir>/metrics.json`, checked; undefined when the run has none (a model saved without evaluation). */
export async function readRunMetrics<R extends RunRecipe = RunRecipe>(dir: string): Promise<RunMetrics<R> | undefined> {
  const json = await readRunJson(dir, RUN_FILES.metrics);
  return json === undefined ? undefined : parseRunMetrics<R>(json, join(dir, RUN_FILES.metrics));
}

/** `<dir>/history.json`, checked; undefined when the run has none. */
export async function readRunHistory(dir: string): Promise<RunHistory | undefined> {
  const json = await readRunJson(dir, RUN_FILES.history);
  return json === undefined ? undefined : parseRunHistory(json, join(dir, RUN_FILES.history));
}

/** `<dir>/metrics.json`, checked; a RunFileError when the run has none (scripts that need a finished run). */
export async function requireRunMetrics<R extends RunRecipe = RunRecipe>(dir: string): Promise<RunMetrics<R>> {
  const metrics = await readRunMetrics<R>(dir);
  if (!metrics) throw new RunFileError(join(dir, RUN_FILES.metrics), 'does not exist: pass the directory of a finished run (pnpm train writes it)');
  return metrics;
}

/** `<dir>/history.json`, checked; a RunFileError when the run has none. */
export async function requireRunHistory(dir: string): Promise<RunHistory> {
  const history = await readRunHistory(dir);
  if (!history) throw new RunFileError(join(dir, RUN_FILES.history), 'does not exist: pass the directory of a finished run (pnpm train writes it)');
  return history;
}

/** Writes metrics.json and history.json the way every reader expects them (two-space JSON). */
export async function writeRunJson<R extends RunRecipe>(dir: string, metrics: RunMetrics<R>, history: RunHistory): Promise<void> {
  await Promise.all([
    writeFile(join(dir, RUN_FILES.metrics), JSON.stringify(metrics, null, 2)),
    writeFile(join(dir, RUN_FILES.history), JSON.stringify(history, null, 2)),
  ]);
}
