import type { SessionRunner } from '@fmnist/core';

/**
 * An explanation graph that takes longer than this per image (at a serving
 * batch, on the machine it runs on) is what limits `/classify?explain=1`: the
 * event loop feeding it (HTTP, decoding, about 0.2-0.3 ms a small request)
 * has time to spare. Measured on two cores (docs/benchmarks.md, "Explanation
 * lanes"): resnet-photo's graph, about 1.1 ms an image, went from 0.40x to
 * 0.55x of plain /classify with a second lane; the CNN's, about 0.3 ms, from
 * 0.44x to 0.37x, its second lane only contending with the event loop.
 */
export const LANE_MS_PER_IMAGE = 0.6;

/** How many sessions (each in a thread of its own) should run an explanation graph that takes `msPerImage`. */
export function explainLanes(msPerImage: number, cores: number): number {
  if (!(msPerImage > LANE_MS_PER_IMAGE)) return 1;
  return Math.max(1, Math.min(cores, Math.ceil(msPerImage / LANE_MS_PER_IMAGE)));
}

/**
 * Sessions of one graph behind one runner: each run goes to an idle
 * session. The explanation batcher runs at most as many batches at once as
 * there are sessions, so a run never waits behind another.
 */
export function pooledRunner(sessions: readonly SessionRunner[]): SessionRunner {
  const first = sessions[0];
  if (!first) throw new RangeError('a pooled runner needs at least one session');
  if (sessions.length === 1) return first;
  const busy = sessions.map(() => false);
  return {
    inputNames: first.inputNames,
    outputNames: first.outputNames,
    async run(feeds, outputs) {
      // All busy happens only when a v2 client calls beside the batcher: then it queues on the first session's thread.
      const k = Math.max(0, busy.indexOf(false));
      busy[k] = true;
      try {
        return await sessions[k]!.run(feeds, outputs);
      } finally {
        busy[k] = false;
      }
    },
    async release() {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
