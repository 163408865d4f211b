/** What the serving benchmarks share: the request image, starting a server, loading it with autocannon, printing a result. */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { IMAGE_HEIGHT, IMAGE_PIXELS, IMAGE_WIDTH, type Split } from '@fmnist/core';

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; the fields above are the ones the benchmarks read.
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The first test image as the 28x28 grayscale PNG that the small-image benchmarks POST. */
export function testImagePng(split: Split): Promise<Buffer> {
  return sharp(Buffer.from(split.images.subarray(0, IMAGE_PIXELS)), { raw: { width: IMAGE_WIDTH, height: IMAGE_HEIGHT, channels: 1 } })
    .png()
    .toBuffer();
}

/** Arguments for start(): the real server on loopback, any free port, CPU provider, plus `extra` flags. */
export function serverArgs(modelsDir: string, extra: string[] = []): string[] {
  return [fileURLToPath(new URL('../src/main.ts', import.meta.url)), '--models', modelsDir, '--host', '127.0.0.1', '--port', '0', '--device', 'cpu', ...extra];
}

/**
 * The process that serves: the one started, or the one it started again
 * under jemalloc (src/allocator.ts), whose memory is the server's.
 */
export function servingPid(pid: number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length === 1 ? servingPid(Number(children[0])) : pid;
  } catch {
    return pid;
  }
}

/**
 * Runs `node --import tsx ...args` on a free port; resolves once it prints the port it listens on, with the serving process's pid.
 * `niceness`, when not 0, is set on the process as it starts, so that its threads and the process it starts under jemalloc
 * inherit it, as under `nice -n N` (a negative one needs root or CAP_SYS_NICE).
 */
export function start(
  args: string[],
  env: Record<string, string> = {},
  niceness = 0,
): Promise<{ child: ChildProcess; port: number; adminPort?: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, PORT: '0' } });
    if (niceness !== 0) setPriority(child.pid!, niceness);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(?:listening |127\.0\.0\.1:)(\d+)/.exec(out);
      const admin = /also on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), ...(admin ? { adminPort: Number(admin[1]) } : {}), pid: servingPid(child.pid!) });
    });
    child.stderr!.on('data', (d: Buffer) => process.env.BENCH_VERBOSE && process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
}

/**
 * CPU seconds a process has used, all its threads (Linux /proc; user +
 * system). The server's CPU per request is a steadier figure than its
 * throughput on a machine whose other load comes and goes.
 */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
/** sysconf(_SC_CLK_TCK): 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

export async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/**
 * POSTs `body` at `connections` for `seconds`, after a 2 s warm-up run (JIT, sharp's and onnxruntime's first allocations).
 * With `pid`, also the server's CPU time per answered request during the measured run, in microseconds.
 */
export async function loadTest(
  url: string,
  body: Buffer,
  type: string,
  { connections, seconds, pid }: { connections: number; seconds: number; pid?: number },
): Promise<AutocannonResult & { cpuPerRequestUs?: number }> {
  await autocannon({ url, method: 'POST', body, headers: { 'content-type': type }, connections, duration: 2 });
  const cpu0 = pid === undefined ? 0 : cpuSeconds(pid);
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': type }, connections, duration: seconds });
  if (pid === undefined) return result;
  return { ...result, cpuPerRequestUs: ((cpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, result.requests.total) };
}

export const fmt = (r: AutocannonResult) =>
  `${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors + r.timeouts}`;
