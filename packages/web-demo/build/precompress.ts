import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Files worth compressing: text, wasm and the models (float weights shrink a little, int8 ones more). */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|json|svg|txt|wasm|onnx)$/;
/** Below this, headers outweigh the saving. */
const MIN_BYTES = 1024;
/** Keep a compressed copy only if it saves at least this share. */
const MIN_SAVING = 0.05;
/**
 * Brotli's best quality takes ~50 s on the 14 MB wasm runtime (2.36 MB, vs
 * 2.69 MB at quality 9 in 4 s). Above this size (the 27 MB WebGPU runtime,
 * fetched only when WebGPU is picked) quality 9 keeps the first build short.
 */
const MAX_BYTES_AT_BEST = 16 * 1024 * 1024;

/** Compressed copies keyed by content: the runtime wasm is the same in every build, so its slow compression runs once per machine. */
const CACHE_DIR = resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'fmnist-precompress');

async function cached(kind: 'br' | 'gz', data: Buffer, make: () => Promise<Buffer>): Promise<Buffer> {
  const file = join(CACHE_DIR, `${createHash('sha256').update(data).digest('hex')}.${kind}`);
  if (existsSync(file)) return readFile(file);
  const out = await make();
  await mkdir(CACHE_DIR, { recursive: true });
  await writeFile(file, out);
  return out;
}

export function compressFile(data: Buffer): Promise<[Buffer, Buffer]> {
  const quality = data.length <= MAX_BYTES_AT_BEST ? constants.BROTLI_MAX_QUALITY : 9;
  return Promise.all([
    cached('br', data, () => brotli(data, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } })),
    cached('gz', data, () => gz(data, { level: constants.Z_BEST_COMPRESSION })),
  ]);
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Writes `<file>.br` and `<file>.gz` beside each compressible output file; the server sends them to clients that accept them. */
export async function precompressDir(dir: string): Promise<{ files: number; bytes: number; brotliBytes: number }> {
  const jobs: Promise<void>[] = [];
  const totals = { files: 0, bytes: 0, brotliBytes: 0 };
  for await (const path of walk(dir)) {
    if (!COMPRESSIBLE.test(path)) continue;
    jobs.push(
      (async () => {
        const data = await readFile(path);
        if (data.length < MIN_BYTES) return;
        const [br, gzipped] = await compressFile(data);
        const worth = (c: Buffer) => c.length <= data.length * (1 - MIN_SAVING);
        if (worth(br)) await writeFile(`${path}.br`, br);
        if (worth(gzipped)) await writeFile(`${path}.gz`, gzipped);
        totals.files++;
        totals.bytes += data.length;
        totals.brotliBytes += worth(br) ? br.length : data.length;
      })(),
    );
  }
  await Promise.all(jobs);
  return totals;
}

/** Vite plugin: precompresses the build once it is written. */
export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'fmnist-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const t = await precompressDir(outDir);
      this.info(`precompressed ${t.files} files: ${(t.bytes / 1e6).toFixed(2)} MB -> ${(t.brotliBytes / 1e6).toFixed(2)} MB with brotli`);
    },
  };
}
