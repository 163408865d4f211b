/** bench:abuse's instruments: the well-behaved client that runs beside each attack, and the figures it prints. */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';

export interface Sample {
  ms: number;
  status: number; // 0: no answer (network error or 15 s timeout)
  /** The probe's samples: when the request was sent, in ms since the probe started. */
  at?: number;
}

export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** One timed request; never throws. */
export async function timed(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

/**
 * The concurrent client of the targets: a 28x28 PNG to /classify and a
 * GET /healthz every 100 ms, each on its own schedule, whatever the answers
 * take (requests overlap rather than wait for each other); with an admin
 * base URL, a GET /healthz there too, on the same schedule.
 */
export class Probe {
  readonly classify: Sample[] = [];
  readonly health: Sample[] = [];
  readonly adminHealth: Sample[] = [];
  /**
   * When fetch opened a connection to the main port after start(), in ms since
   * then: a new connection waits in the server's accept queue behind the
   * attack's, where a kept-alive one does not.
   */
  readonly connects: number[] = [];
  private started = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly base: string,
    private readonly png: Buffer,
    private readonly adminBase?: string,
  ) {}

  /**
   * Requests that are not recorded, so that the samples measure a client
   * already running when the attack starts. A fresh process's first fetch
   * compiles undici and opens its connections: the profile of a case 6 run put
   * that at 0-200 ms of the probe's own CPU, inside the first samples (the ones
   * asked at 0.1-0.2 s that cases 1 and 6 reported slow).
   */
  async warmUp(rounds = 3): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await Promise.all([
        timed(`${this.base}/classify`, { method: 'POST', body: this.png, headers: { 'content-type': 'image/png' } }),
        timed(`${this.base}/healthz`),
        ...(this.adminBase ? [timed(`${this.adminBase}/healthz`)] : []),
      ]);
    }
  }

  start(): void {
    this.started = performance.now();
    const port = new URL(this.base).port;
    // undici (fetch) announces each connection it opens on this channel.
    subscribe('undici:client:connected', (message) => {
      const params = (message as { connectParams?: { port?: string | number } }).connectParams;
      if (String(params?.port) === port) this.connects.push(performance.now() - this.started);
    });
    this.timer = setInterval(() => {
      const at = performance.now() - this.started;
      this.track(
        timed(`${this.base}/classify`, { method: 'POST', body: this.png, headers: { 'content-type': 'image/png' } }).then(
          (s) => void this.classify.push({ ...s, at }),
        ),
      );
      this.track(timed(`${this.base}/healthz`).then((s) => void this.health.push({ ...s, at })));
      if (this.adminBase) this.track(timed(`${this.adminBase}/healthz`).then((s) => void this.adminHealth.push({ ...s, at })));
    }, 100);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.pending);
  }

  summary(): string {
    return probeSummary(this.classify, this.health, this.adminHealth);
  }
}

/** The probe's figures against the targets; `a`: the /healthz samples from the admin port, if it was probed. */
export function probeSummary(c: Sample[], h: Sample[], a: Sample[] = []): string {
  const missed = [...c, ...h, ...a].filter((s) => s.status !== 200).length;
  return `probe /classify n=${c.length} p50 ${percentile(
    c.map((s) => s.ms),
    50,
  ).toFixed(0)} ms p99 ${percentile(
    c.map((s) => s.ms),
    99,
  ).toFixed(0)} ms (target <= 250); /healthz p99 ${percentile(
    h.map((s) => s.ms),
    99,
  ).toFixed(0)} ms (target <= 50)${
    a.length > 0
      ? `, on the admin port p99 ${percentile(
          a.map((s) => s.ms),
          99,
        ).toFixed(0)} ms`
      : ''
  }; not answered 200: ${missed}`;
}

/** When the probe's slow answers were asked (s since the probe started) and how long they took: bursts, or spread out. */
export function slowSamples(samples: Sample[], overMs: number, most = 12): string {
  const slow = samples.filter((s) => s.ms > overMs && s.at !== undefined).sort((a, b) => a.at! - b.at!);
  if (slow.length === 0) return `none over ${overMs} ms`;
  const shown = slow.slice(0, most).map((s) => `${(s.at! / 1000).toFixed(1)} s: ${s.ms.toFixed(0)} ms`);
  return `${slow.length} over ${overMs} ms, asked at ${shown.join(', ')}${slow.length > most ? ', ...' : ''}`;
}

/** Resident memory of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Attack answers: statuses, and how long the refused ones took from the first byte sent to the answer. */
export function attackSummary(samples: Sample[]): string {
  const statuses = new Map<number, number>();
  for (const s of samples) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
  const refusedSamples = samples.filter((s) => s.status >= 400 && s.status < 600);
  // A load generator that reports only aggregate latencies (autocannon) leaves single requests untimed (NaN).
  const refused = refusedSamples.map((s) => s.ms).filter(Number.isFinite);
  const list = [...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k === 0 ? 'no answer' : k}: ${v}`)
    .join(', ');
  const timing = refused.length
    ? `refused ones answered in p50 ${percentile(refused, 50).toFixed(0)} ms, p99 ${percentile(refused, 99).toFixed(0)} ms, max ${Math.max(...refused).toFixed(0)} ms (target <= 2000)`
    : refusedSamples.length
      ? "refused ones not timed one by one (see the load generator's latencies)"
      : 'none refused';
  return `attack requests ${samples.length} (${list}); ${timing}`;
}

/** 5xx answers other than 503 (load shedding), to the probe and the attack alike. */
export function serverFaults(...groups: Sample[][]): number {
  return groups.flat().filter((s) => s.status >= 500 && s.status !== 503).length;
}

/** Runs `attack` in `workers` loops until `seconds` have passed; each loop iteration is one request. */
export async function loop(workers: number, seconds: number, attack: (i: number) => Promise<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < until; i++) out.push(await attack(w * 1_000_000 + i));
    }),
  );
  return out;
}
