import type { PreprocessOptions } from '@fmnist/core';
import { Batcher, type BatcherOptions } from './batcher.ts';
import type { DecodeOptions } from './decode.ts';
import { HttpError } from './errors.ts';
import type { Metrics } from './metrics.ts';
import type { ImagePool } from './threads/image-pool.ts';
import type { LoadedModel, ModelRegistry } from './registry.ts';

export interface Limits {
  /** Largest request body in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Most images in one POST /classify/batch. */
  maxBatchImages: number;
  /** Most images in one v2 infer request. */
  maxInferBatch: number;
}

export const DEFAULT_LIMITS: Limits = { maxBodyBytes: 10 * 1024 * 1024, maxBatchImages: 64, maxInferBatch: 256 };

/** Everything the routes share: one object, built once in server.ts, passed to each route module. */
export interface ServeContext {
  registry: ModelRegistry;
  batchers: Map<string, Batcher>;
  metrics: Metrics;
  limits: Limits;
  decode: DecodeOptions;
  preprocess: PreprocessOptions;
  /** Threads that decode and preprocess photos. */
  images: ImagePool;
  defaultModel: string;
  /** Fashion-MNIST folder for /evaluate and /samples. */
  dataDir: string;
  /** web-demo build to serve at `/`, when it exists. */
  staticDir?: string;
  state: { ready: boolean; shuttingDown: boolean; inFlight: number };
}

export function makeBatchers(registry: ModelRegistry, options: BatcherOptions, metrics: Metrics): Map<string, Batcher> {
  return new Map(
    registry.list().map((m) => [
      m.name,
      new Batcher(m.run, options, {
        batch: (size, seconds) => {
          metrics.batchSize.observe({ model: m.name }, size);
          metrics.inference.observe({ model: m.name }, seconds);
        },
        depth: (queued) => metrics.queueDepth.set({ model: m.name }, queued),
      }),
    ]),
  );
}

export function getModel(ctx: ServeContext, name: string | undefined): { model: LoadedModel; batcher: Batcher } {
  const wanted = name || ctx.defaultModel;
  const model = ctx.registry.get(wanted);
  const batcher = ctx.batchers.get(wanted);
  if (!model || !batcher) {
    const known = ctx.registry.list().map((m) => m.name).join(', ');
    throw new HttpError('unknown_model', `no model named '${wanted.slice(0, 100)}'; loaded models: ${known || 'none'}`);
  }
  return { model, batcher };
}
