import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jemallocToPreload, loadedAllocator } from './allocator.ts';

const lib = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const has =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p);

describe('choosing the allocator', () => {
  it('preloads jemalloc on Linux where it is installed, unless told not to or already done', () => {
    if (loadedAllocator() === 'jemalloc') return; // this test process itself runs on jemalloc: nothing left to choose
    expect(jemallocToPreload({}, 'linux', has(lib))).toBe(lib);
    expect(jemallocToPreload({}, 'linux', has())).toBeUndefined();
    expect(jemallocToPreload({ JEMALLOC_PATH: '/fake/jemalloc/libjemalloc.so' }, 'linux', has('/fake/jemalloc/libjemalloc.so', lib))).toBe(
      '/fake/jemalloc/libjemalloc.so',
    );
    expect(jemallocToPreload({ SERVE_ALLOCATOR: 'system' }, 'linux', has(lib))).toBeUndefined();
    expect(jemallocToPreload({ FMNIST_SERVE_RELAUNCHED: '1' }, 'linux', has(lib))).toBeUndefined();
    expect(jemallocToPreload({}, 'darwin', has(lib))).toBeUndefined();
  });

  it('reports the allocator from the libraries mapped into the process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'maps-'));
    await writeFile(join(dir, 'je'), `7f00-7f10 r-xp 00000000 fd:01 1 ${lib}\n7f10-7f20 r-xp 00000000 fd:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n`);
    await writeFile(join(dir, 'glibc'), '7f10-7f20 r-xp 00000000 fd:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n');
    expect(loadedAllocator(join(dir, 'je'))).toBe('jemalloc');
    expect(loadedAllocator(join(dir, 'glibc'))).toBe('system');
    expect(loadedAllocator(join(dir, 'missing'))).toBe('system');
  });
});
