import { getPriority, setPriority } from 'node:os';

/**
 * The niceness of the threads that do background work: decoding and
 * preprocessing photos, and test-set evaluations. The event loop (HTTP,
 * /healthz, small PNGs decoded in place, batching) and the serving sessions
 * keep the default, so under a flood of photos or beside an /evaluate the
 * scheduler gives them the cores first, and the background threads take
 * whatever is left (all of it when nothing else runs: throughput alone does
 * not change). 0 leaves every thread as it is.
 */
export const DEFAULT_BACKGROUND_NICENESS = 10;

/**
 * Lowers the calling thread's CPU priority to `niceness` (never raises it).
 * Linux only: there a niceness is per thread, and threads the caller creates
 * afterwards (onnxruntime's intra-op pool) inherit it; elsewhere os.setPriority
 * would change the whole process. Returns the niceness the thread has after.
 */
export function lowerThisThread(niceness: number): number | undefined {
  if (process.platform !== 'linux' || niceness <= 0) return undefined;
  try {
    const current = getPriority(0);
    if (current < niceness) setPriority(0, niceness);
    return getPriority(0);
  } catch {
    return undefined; // A sandbox that forbids it: the thread keeps its priority.
  }
}
