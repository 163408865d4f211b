import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSamplePhotoDir } from '@fmnist/core/node';
import sharp from 'sharp';
import { jemallocToPreload, loadedAllocator } from '../src/allocator.ts';
import { fixtureModelsDir, form, type Json } from './helpers.ts';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

/** The entry point on a free port with the fixture models; `output()` is everything it printed so far. */
function startEntry(modelsDir: string, extra: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--models', modelsDir, '--port', '0', '--host', '127.0.0.1', '--device', 'cpu', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  /** Resolves with the output once it matches `pattern`; throws (with the output) if the process exits first. */
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = pattern.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

// Spawned as `node --import tsx`, like `pnpm start`: the tsx CLI wrapper would SIGKILL a child whose event loop is busy for 30 ms after a signal.
describe('the process entry', () => {
  it('runs the server under jemalloc where the system has it (memory freed after an attack goes back to the OS)', async () => {
    const fx = await fixtureModelsDir();
    const expected = jemallocToPreload(process.env) ? 'jemalloc' : loadedAllocator();
    if (expected === 'system')
      console.warn('jemalloc is not installed here (apt-get install libjemalloc2): checking that the server says it runs on the system allocator');
    const { child, exited, waitFor } = startEntry(fx.dir);
    try {
      expect((await waitFor(/allocator (\w+)/))[1]).toBe(expected);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('prints both URLs, and a taken admin port stops the start with a message naming it (exit 1)', async () => {
    const fx = await fixtureModelsDir();
    try {
      const first = startEntry(fx.dir);
      const [, adminPort] = await first.waitFor(/also on http:\/\/127\.0\.0\.1:(\d+)/);
      expect((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status).toBe(200);
      const second = startEntry(fx.dir, ['--admin-port', adminPort!]);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`cannot listen on 127.0.0.1:${adminPort} for the admin port (EADDRINUSE); choose another --admin-port (or off)`);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    } finally {
      await fx.cleanup();
    }
  });

  it('on SIGTERM finishes the in-flight request, then exits 0', async () => {
    const fx = await fixtureModelsDir();
    const { child, exited, waitFor, output } = startEntry(fx.dir);
    try {
      const url = `http://127.0.0.1:${(await waitFor(/127\.0\.0\.1:(\d+)/))[1]}`;
      // One long request: 64 photos in a batch keeps the server busy for a few hundred ms.
      const photo = await sharp(
        await readFile(join(resolveSamplePhotoDir(), 'dress_01.jpg')).catch(() =>
          sharp({ create: { width: 600, height: 800, channels: 3, background: '#c0a080' } })
            .jpeg()
            .toBuffer(),
        ),
      )
        .resize(600, 800)
        .jpeg()
        .toBuffer();
      const pending = fetch(`${url}/classify/batch`, { method: 'POST', body: form({ image: Array(64).fill(photo) }, {}, 'image/jpeg') });
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      const res = await pending.catch((e: unknown) => {
        throw new Error(`${String(e)}; server said: ${output()}`);
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Json;
      expect(body.results).toHaveLength(64);
      for (const r of body.results) expect(r.predictions).toHaveLength(3);
      expect(await exited).toBe(0);
      expect(output()).toMatch(/SIGTERM: finishing 1 in-flight request/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await fx.cleanup();
    }
  });

  it('refuses to start with --device cuda where CUDA is missing, with a fix in the message', async () => {
    const fx = await fixtureModelsDir();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', main, '--models', fx.dir, '--port', '0', '--host', '127.0.0.1', '--device', 'cuda'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(err).toMatch(/CUDA 12 and cuDNN 9/);
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      await fx.cleanup();
    }
  });
});
