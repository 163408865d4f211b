import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openSessionRunner } from '@fmnist/core';
import type { SessionFactory } from './session-types.ts';

/**
 * Where onnxruntime-node keeps its native libraries; the CUDA provider
 * library lands there only when it was installed with the CUDA flag.
 */
function ortBinaryDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_LIBRARY = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/** Creates an onnxruntime-node session in the calling thread on exactly one provider (no silent fallback inside onnxruntime). */
export const ortSessionFactory: SessionFactory = async (bytes, provider, threads = 1) => {
  // Checking for the library first gives a clearer reason than onnxruntime's own error, and keeps its log quiet.
  if (provider === 'cuda' && !existsSync(join(ortBinaryDir(), CUDA_LIBRARY))) {
    throw new Error(`${CUDA_LIBRARY} is not installed next to onnxruntime-node (installed without ONNXRUNTIME_NODE_INSTALL=cuda12)`);
  }
  return openSessionRunner(ort, bytes, {
    executionProviders: [provider],
    // A failed CUDA attempt is reported once by openOnDevice; onnxruntime's own ERROR line would repeat it with a path dump.
    logSeverityLevel: provider === 'cuda' ? 4 : 2,
    graphOptimizationLevel: 'all',
    // Serving sessions get one intra-op thread: on two cores that leaves the other to HTTP and sharp, and batching supplies the parallelism.
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // The all-core sessions behind /evaluate allocate hundreds of MB for a test-set run; onnxruntime's arena kept
    // them after it (bench:abuse case 2: RSS 30 s after +15-28%), malloc (jemalloc) gives them back (-10-17%), for
    // 7-33% of the evaluation's speed (docs/benchmarks.md, "Abuse", session 14). Serving sessions keep the arena.
    ...(threads > 1 ? { enableCpuMemArena: false } : {}),
  });
};
