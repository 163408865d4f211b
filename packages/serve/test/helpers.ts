import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { IMAGE_PIXELS, type Split } from '@fmnist/core';
import { loadSplit } from '@fmnist/core/node';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.ts';
import { serveFixtureWeights, writeFixtureModels } from '@fmnist/export/test/fixture-model';

/** A temp folder with fixture cnn.onnx / mlp.onnx (centroid weights when the test split is given). */
export async function fixtureModelsDir(split?: Split): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-serve-'));
  await writeFixtureModels(dir, serveFixtureWeights(split));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a real server on an ephemeral loopback port, CPU only, logs swallowed. */
export function startTestServer(options: Partial<ServerOptions> & { modelsDir: string }): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', device: 'cpu', dataDir: join(tmpdir(), 'fmnist-no-data'), log: () => {}, ...options });
}

export async function loadTestSplit(dataDir: string | undefined): Promise<Split | undefined> {
  return dataDir ? loadSplit(dataDir, 'test', { verify: false }) : undefined;
}

export function imageBytes(split: Split, index: number): Uint8Array {
  return split.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS);
}

/** A Fashion-MNIST image as the PNG file a client would upload. */
export function pngOf(pixels: Uint8Array, width = 28, height = 28, channels: 1 | 3 | 4 = 1): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();
}

export function form(files: Record<string, Uint8Array | Uint8Array[]>, fields: Record<string, string> = {}, type = 'image/png'): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const [k, v] of Object.entries(files)) for (const bytes of Array.isArray(v) ? v : [v]) fd.append(k, new Blob([bytes], { type }), 'upload');
  return fd;
}

export interface ErrorJson {
  error: { code: string; message: string };
}

/** Response bodies in tests: each test checks the fields it reads, so a loose type is the honest one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read by path in assertions, where a wrong path fails the assertion
export type Json = any;

/** Starts a server on the fixture models before a file's tests and stops it after them; call the result for the server. */
export function useFixtureServer(): () => RunningServer {
  let server: RunningServer | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const fx = await fixtureModelsDir();
    cleanup = fx.cleanup;
    server = await startTestServer({ modelsDir: fx.dir });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });
  return () => server!;
}
