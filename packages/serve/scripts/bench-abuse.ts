/**
 * Issue 12's attacks 1-6 against the real server (loopback only, bounded
 * loops), each on a fresh server, while a well-behaved client sends a 28x28
 * PNG to /classify every 100 ms and polls /healthz, on the main port and on
 * the admin port (--admin-port; --no-admin-port leaves it out). Prints per case: the
 * probe's p99s, its slow answers and the connections it had to open during
 * the attack (they wait in the accept queue behind the attack's), how the
 * attack requests were answered and how fast the refused ones were, RSS at rest before the attack and 30 s after it, and 5xx
 * answers other than 503 (load shedding).
 * Usage: pnpm bench:abuse [--cases 1,2,3,4,5,6 --seconds 15 --settle 30 --models DIR --server-nice N --no-admin-port]
 * --server-nice N starts the server as `nice -n N` would (a negative N needs root or CAP_SYS_NICE): the
 * deployment the serve README suggests where the server shares its cores with other busy processes.
 * The server runs under jemalloc where installed (src/allocator.ts); SERVE_ALLOCATOR=system compares with the system allocator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSplit, repoRoot, resolveDataDir } from '@fmnist/core/node';
import { avifClaiming, idxBomb, idxPair, multipart, photoJpeg, pngClaiming, pngWithEmptyChunks } from '../test/attacks.ts';
import { serveFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';
import { attackSummary, loop, percentile, probeSummary, rssMb, serverFaults, slowSamples, timed, type Sample } from './abuse-probe.ts';
import { autocannon, cpuSeconds, serverArgs, start, stop, testImagePng } from './load-harness.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1,2,3,4,5,6' },
    seconds: { type: 'string', default: '15' },
    settle: { type: 'string', default: '30' },
    'server-nice': { type: 'string', default: '0' },
    'no-admin-port': { type: 'boolean', default: false },
    models: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const settle = Number(values.settle);
const serverNice = Number(values['server-nice']);
const adminPort = !values['no-admin-port'];
const dataDir = resolveDataDir(undefined);
const split = await loadSplit(dataDir, 'test', { verify: false });
const png = await testImagePng(split);
const pngPath = join(await mkdtemp(join(tmpdir(), 'fmnist-probe-')), 'probe.png');
await writeFile(pngPath, png);

/** What the probe process prints when stopped (abuse-probe-process.ts). */
interface ProbeResult {
  classify: Sample[];
  health: Sample[];
  adminHealth: Sample[];
  connects: number[];
}

/** The well-behaved client, in its own process (abuse-probe-process.ts); stop() returns its samples. */
async function startProbe(base: string, path: string, adminBase: string | undefined): Promise<{ stop(): Promise<ProbeResult> }> {
  const probeArgs = [fileURLToPath(new URL('./abuse-probe-process.ts', import.meta.url)), base, path, ...(adminBase ? [adminBase] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...probeArgs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('started') && resolve());
    child.once('exit', (code) => reject(new Error(`the probe exited with ${code}`)));
  });
  return {
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.write('stop\n');
      await exited;
      return JSON.parse(out.slice(out.indexOf('\n') + 1)) as ProbeResult;
    },
  };
}
let modelsDir = values.models ?? join(repoRoot(), 'models');
let fixtureDir: string | undefined;
if (!existsSync(join(modelsDir, 'cnn.onnx'))) {
  fixtureDir = await mkdtemp(join(tmpdir(), 'fmnist-abuse-'));
  await writeFixtureModels(fixtureDir, serveFixtureWeights(split));
  modelsDir = fixtureDir;
  console.log('NOTE: models/cnn.onnx is missing; using the linear fixture models');
}

type Attack = (base: string) => Promise<{ samples: Sample[]; note?: string }>;
const post = (url: string, body: RequestInit['body'], type?: string): Promise<Sample> =>
  timed(url, { method: 'POST', body, ...(type ? { headers: { 'content-type': type } } : {}) }, 60_000);

/**
 * Case 6: `n` uploads that send all but 10 kB of a 10 MB body, then stall;
 * resolves when the server has closed each. A sample's `ms` is how long the
 * connection lasted after its answer (the refusal) arrived: the target's
 * "ends within 2 s of being refused"; `answeredMs` is when the answer came.
 */
async function stalledUploads(base: string, n: number): Promise<(Sample & { answeredMs: number })[]> {
  const { hostname, port } = new URL(base);
  const size = 10_000_000;
  // A real JPEG's start: garbage would be refused from its first bytes, and the attack is an upload that looks fine.
  const start = await photoJpeg(300);
  const body = Buffer.concat([start, Buffer.alloc(size - 10_000 - start.length, 0x41)]);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Sample & { answeredMs: number }>((resolve) => {
          const t0 = performance.now();
          let answered = NaN;
          let text = '';
          const socket = connect(Number(port), hostname, () => {
            socket.write(`POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${size}\r\n\r\n`);
            socket.write(body);
          });
          const done = () => {
            const now = performance.now();
            resolve({
              ms: now - (Number.isNaN(answered) ? t0 : answered),
              answeredMs: answered - t0,
              status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0),
            });
          };
          socket.on('data', (d: Buffer) => {
            if (Number.isNaN(answered)) answered = performance.now();
            text += d.toString('latin1');
          });
          socket.on('error', () => {});
          socket.on('close', done);
          socket.setTimeout(60_000, () => socket.destroy());
        }),
    ),
  );
}

const cases: Record<string, { name: string; prepare: () => Promise<Attack> }> = {
  1: {
    name: '/evaluate with a 1 MB gzip IDX that inflates to 1 GiB (2 attackers)',
    prepare: async () => {
      const images = await idxBomb(2 ** 30);
      const { labels } = await idxPair(10);
      return async (base) => ({ samples: await loop(2, seconds, () => post(`${base}/evaluate`, multipart({ images, labels }))) });
    },
  },
  2: {
    name: '/evaluate with a valid gzipped IDX pair of 1,000,000 images (2 attackers), then a test-set /evaluate',
    prepare: async () => {
      const pair = await idxPair(1_000_000);
      return async (base) => {
        const attack = loop(2, seconds, () => post(`${base}/evaluate`, multipart(pair)));
        await new Promise((r) => setTimeout(r, 2000));
        const legit = await post(`${base}/evaluate?model=cnn`, undefined);
        return { samples: await attack, note: `test-set /evaluate during the attack: ${legit.status} in ${legit.ms.toFixed(0)} ms` };
      };
    },
  },
  3: {
    name: 'images cheap to send, slow to decode: 7000x7000 AVIF, 10x4,900,000 PNG, batches of 8 AVIFs (6 attackers)',
    prepare: async () => {
      const avif = await avifClaiming(7000, 7000);
      const strip = pngClaiming(10, 4_900_000);
      return async (base) => ({
        samples: await loop(6, seconds, (i) =>
          i % 3 === 0
            ? post(`${base}/classify`, avif, 'image/avif')
            : i % 3 === 1
              ? post(`${base}/classify`, strip, 'image/png')
              : post(`${base}/classify/batch`, multipart({ image: Array(8).fill(avif) }, 'image/avif')),
        ),
      });
    },
  },
  4: {
    name: '300 connections sending 1000x1000 JPEGs (autocannon)',
    prepare: async () => {
      const photo = await photoJpeg(1000);
      return async (base) => {
        const r = await autocannon({
          url: `${base}/classify`,
          method: 'POST',
          body: photo,
          headers: { 'content-type': 'image/jpeg' },
          connections: 300,
          duration: seconds + 5,
          timeout: 30,
        });
        const codes = Object.entries(r.statusCodeStats ?? {})
          .map(([k, v]) => `${k}: ${v.count}`)
          .join(', ');
        // autocannon reports latencies over all answers; shed (503) ones are counted separately below from the codes.
        const samples: Sample[] = Object.entries(r.statusCodeStats ?? {}).flatMap(([k, v]) =>
          Array.from({ length: v.count }, () => ({ ms: NaN, status: Number(k) })),
        );
        return {
          samples,
          note: `autocannon: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${codes}, errors ${r.errors}, timeouts ${r.timeouts}`,
        };
      };
    },
  },
  5: {
    name: '28x28 PNGs with 700,000 empty IDAT chunks, 8.4 MB (4 attackers)',
    prepare: async () => {
      const chunky = pngWithEmptyChunks(700_000);
      return async (base) => ({ samples: await loop(4, seconds, () => post(`${base}/classify`, chunky, 'image/png')) });
    },
  },
  6: {
    name: '300 connections sending 9.99 MB of a 10 MB body, then stalling',
    prepare: async () => async (base) => {
      const samples = await stalledUploads(base, 300);
      const when = (status: number) => {
        const ms = samples.filter((x) => x.status === status).map((x) => x.answeredMs);
        return ms.length
          ? `${status}s answered ${percentile(ms, 50).toFixed(0)} ms (p50), ${percentile(ms, 99).toFixed(0)} ms (p99) after the request began`
          : `no ${status}s`;
      };
      return {
        samples,
        note: `'refused ones answered in' is here the time from the answer to the connection's end; ${when(503)} (the in-flight body budget); ${when(408)} (the 10 s body idle timeout, by design)`,
      };
    },
  },
};

/** The server's event-loop delay since the last scrape of /metrics (prom-client's monitor, 10 ms resolution), in ms. */
async function eventLoopLag(base: string): Promise<{ max: number; p99: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => Math.round(1000 * Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? Number.NaN));
  return { max: read('nodejs_eventloop_lag_max_seconds'), p99: read('nodejs_eventloop_lag_p99_seconds') };
}

/** All cores' busy and total time so far (Linux /proc/stat, clock ticks): how saturated the machine is, attackers included. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3]! + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

console.log(
  `bench:abuse on ${availableParallelism()} cores, node ${process.version}; ${seconds} s per attack, RSS at rest ${settle} s before and after it; server niceness ${serverNice}; allocator: ${process.env.SERVE_ALLOCATOR === 'system' ? 'system (SERVE_ALLOCATOR=system)' : 'jemalloc where installed (src/allocator.ts)'}`,
);
/** The server's major garbage collections since start (prom-client's histogram): how many, and how many paused it over 10 ms. */
function gcSummary(metrics: string): string {
  const read = (pattern: string) => Number(new RegExp(`^${pattern} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
  const count = read('nodejs_gc_duration_seconds_count\\{kind="major"\\}');
  const short = read('nodejs_gc_duration_seconds_bucket\\{le="0.01",kind="major"\\}');
  return `${count}, ${count - short} of them over 10 ms`;
}

try {
  for (const id of values.cases.split(',')) {
    const c = cases[id];
    if (!c) throw new Error(`no case ${id}; cases are 1-6`);
    const attack = await c.prepare();
    const server = await start(serverArgs(modelsDir, ['--data-dir', dataDir, '--admin-port', adminPort ? '0' : 'off']), {}, serverNice);
    const base = `http://127.0.0.1:${server.port}`;
    const adminBase = server.adminPort ? `http://127.0.0.1:${server.adminPort}` : undefined;
    const pid = server.pid;
    // Warm-up: the probe's path and a photo, then the resting RSS after the same idle time as the RSS after the
    // attack, so that both are read at rest: 2 s after the warm-up, the allocator and V8 still held memory they
    // gave back later, and every case's RSS "after" came out 8-30% below "before".
    for (let i = 0; i < 20; i++) await timed(`${base}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
    await timed(`${base}/classify`, { method: 'POST', body: await photoJpeg(1000), headers: { 'content-type': 'image/jpeg' } });
    await new Promise((r) => setTimeout(r, settle * 1000));
    const before = rssMb(pid);
    const probe = await startProbe(base, pngPath, adminBase);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    // A scrape resets prom-client's event-loop delay histogram: the next one covers the attack alone.
    await fetch(`${base}/metrics`).then((r) => r.text());
    const cpu0 = { server: cpuSeconds(pid), machine: machineTicks() };
    const { samples, note } = await attack(base);
    const lag = await eventLoopLag(base);
    const cpu1 = { server: cpuSeconds(pid), machine: machineTicks() };
    await new Promise((r) => setTimeout(r, 1000)); // the probe's last overlap with the attack
    const probed = await probe.stop();
    await new Promise((r) => setTimeout(r, settle * 1000));
    clearInterval(sampler);
    const after = rssMb(pid);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const counted = (name: string) => [...metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, 'gm'))].map((m) => `${m[1]}=${m[2]}`).join(' ') || 'none';
    await stop(server.child);
    console.log(`\ncase ${id}: ${c.name}`);
    console.log(`  ${probeSummary(probed.classify, probed.health, probed.adminHealth)}`);
    console.log(`  slow /healthz answers: ${slowSamples(probed.health, 50)}`);
    if (adminBase) console.log(`  slow /healthz answers on the admin port: ${slowSamples(probed.adminHealth, 50)}`);
    console.log(`  slow /classify answers: ${slowSamples(probed.classify, 100)}`);
    console.log(
      `  connections the probe opened to the main port: ${probed.connects.length}${probed.connects.length ? `, at ${probed.connects.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}` : ''}`,
    );
    console.log(`  ${attackSummary(samples)}`);
    if (note) console.log(`  ${note}`);
    const busy = (cpu1.machine.busy - cpu0.machine.busy) / Math.max(1, cpu1.machine.total - cpu0.machine.total);
    console.log(
      `  during the attack: the server's event loop delayed at most ${lag.max} ms (p99 ${lag.p99} ms); the server used ${(cpu1.server - cpu0.server).toFixed(1)} CPU s, the machine's cores were ${(100 * busy).toFixed(0)}% busy`,
    );
    console.log(
      `  RSS at rest before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, ${settle} s after ${after.toFixed(0)} MB (${(((after - before) / before) * 100).toFixed(0)}%; target within 25%)`,
    );
    console.log(`  major GCs in the server: ${gcSummary(metrics)}`);
    console.log(
      `  5xx other than 503: ${serverFaults(samples, probed.classify, probed.health, probed.adminHealth)}; /metrics shed: ${counted('fmnist_shed_total')}; cancelled: ${counted('fmnist_cancelled_total')}; timeouts: ${counted('fmnist_timeouts_total')}`,
    );
  }
} finally {
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
}
