import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';

/**
 * The server runs under jemalloc where the system has it. Under glibc's
 * malloc, the memory of request bodies freed after an attack stays with the
 * process: measured after 300 stalled 10 MB uploads, RSS went 306 -> 518 MB
 * and stayed, with V8's heap and external memory back to their resting size
 * (4 MB); glibc's mmap and trim thresholds did not change that. Under
 * jemalloc the same run went 321 -> 564 -> 258 MB within 30 s
 * (docs/benchmarks.md). An allocator can only be chosen before the process
 * starts, so the entry point starts itself again with it preloaded.
 */

/** Where distributions install jemalloc (Debian/Ubuntu: apt-get install libjemalloc2). */
const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
];

export type Allocator = 'jemalloc' | 'system';

/** The allocator this process actually runs on, from the libraries mapped into it (Linux), not from what was asked. */
export function loadedAllocator(maps = '/proc/self/maps'): Allocator {
  try {
    return /libjemalloc/.test(readFileSync(maps, 'utf8')) ? 'jemalloc' : 'system';
  } catch {
    return 'system';
  }
}

/**
 * The jemalloc library to start the server under, or undefined to stay on
 * the system allocator: not Linux, `SERVE_ALLOCATOR=system`, jemalloc
 * already loaded (or a relaunch already tried), or no library found
 * (`JEMALLOC_PATH` names one elsewhere).
 */
export function jemallocToPreload(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  exists: (p: string) => boolean = existsSync,
): string | undefined {
  if (platform !== 'linux' || env.SERVE_ALLOCATOR === 'system' || env.FMNIST_SERVE_RELAUNCHED) return undefined;
  if (loadedAllocator() === 'jemalloc') return undefined;
  return [env.JEMALLOC_PATH, ...JEMALLOC_PATHS].find((p): p is string => !!p && exists(p));
}

/** Runs this same command again with `library` preloaded; signals go to it, and its exit code is this process's. */
export function relaunchWith(library: string): Promise<never> {
  const preload = [library, process.env.LD_PRELOAD].filter(Boolean).join(':');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, LD_PRELOAD: preload, FMNIST_SERVE_RELAUNCHED: '1' },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise<never>(() => {
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
    child.on('error', (err) => {
      console.error(`could not start under ${library} (${err.message}); set SERVE_ALLOCATOR=system to skip it`);
      process.exit(1);
    });
  });
}
