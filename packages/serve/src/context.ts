import type { PreprocessOptions, Split } from '@fmnist/core';
import { BatchQueue, Batcher, type BatchObserver, type BatcherOptions } from './batcher.ts';
import type { DecodeBudget } from './decode-budget.ts';
import { explainRows, type ExplainedRow, type ExplainRow } from './explainer.ts';
import { HttpError } from './errors.ts';
import type { Limits } from './limits.ts';
import type { Metrics } from './metrics.ts';
import { PhotoAdmission } from './photo-admission.ts';
import { WorkQueue, type WorkQueueObserver } from './work-queue.ts';
import type { ImagePool } from './threads/image-pool.ts';
import type { LoadedModel, ModelRegistry } from './registry.ts';

export { DEFAULT_LIMITS, type Limits } from './limits.ts';

/** Everything the routes share: one object, built once in server.ts, passed to each route module. */
export interface ServeContext {
  registry: ModelRegistry;
  batchers: Map<string, Batcher>;
  /** Explanation batchers, by classifier name (models with an explanation graph only). */
  explainBatchers: Map<string, ExplainBatcher>;
  metrics: Metrics;
  limits: Limits;
  decode: DecodeBudget;
  /** Photos waiting for (and running in) the image threads: the bottleneck under photo load. */
  decodeQueue: WorkQueue;
  /** Photo uploads being read, at most what the decode queue can take. */
  photoAdmission: PhotoAdmission;
  /** /evaluate runs, one at a time by default. */
  evalQueue: WorkQueue;
  /** The data directory's test split, read once. */
  testSet: () => Promise<Split>;
  preprocess: PreprocessOptions;
  /** Threads that decode and preprocess photos, and unpack /evaluate's datasets. */
  images: ImagePool;
  defaultModel: string;
  /** Fashion-MNIST folder for /evaluate and /samples. */
  dataDir: string;
  /** web-demo build to serve at `/`, when it exists. */
  staticDir?: string;
  state: { ready: boolean; shuttingDown: boolean; inFlight: number; inflightBodyBytes: number };
}

/** Shed, cancelled and waiting work, counted in /metrics. */
function queueObserver(metrics: Metrics): WorkQueueObserver {
  return {
    shed: (queue) => metrics.shed.inc({ queue }),
    depth: (queue, waiting) => metrics.waiting.set({ queue }, waiting),
  };
}

export function makeQueues(
  limits: Limits,
  imageThreads: number,
  metrics: Metrics,
): { decodeQueue: WorkQueue; photoAdmission: PhotoAdmission; evalQueue: WorkQueue } {
  const observer = queueObserver(metrics);
  const decodeQueue = new WorkQueue(
    { name: 'decode', concurrency: imageThreads, maxWaiting: limits.decodeQueue, maxWaitingCost: limits.decodeQueueCost },
    observer,
  );
  return {
    decodeQueue,
    // As many uploads read at once as the decode queue can take: running and waiting.
    photoAdmission: new PhotoAdmission(decodeQueue.options.concurrency + decodeQueue.options.maxWaiting),
    // Evaluations are weighed by count only: their size is capped on upload.
    evalQueue: new WorkQueue({ name: 'evaluate', concurrency: limits.evalConcurrency, maxWaiting: limits.evalQueue, maxWaitingCost: Infinity }, observer),
  };
}

export type ExplainBatcher = BatchQueue<ExplainRow, ExplainedRow>;

/** Batch sizes, run times and depths by graph name; sheds by queue. */
function batchObserver(metrics: Metrics, model: string, queue: string): BatchObserver {
  return {
    batch: (size, seconds) => {
      metrics.batchSize.observe({ model }, size);
      metrics.inference.observe({ model }, seconds);
    },
    depth: (queued) => metrics.queueDepth.set({ model }, queued),
    shed: () => metrics.shed.inc({ queue }),
  };
}

export function makeBatchers(registry: ModelRegistry, options: BatcherOptions, metrics: Metrics): Map<string, Batcher> {
  return new Map(registry.list().map((m) => [m.name, new Batcher(m.run, options, batchObserver(metrics, m.name, 'inference'))]));
}

/**
 * Explanations queue and batch like inference, in a queue of their own
 * (counted in maps), so that a burst of them sheds with 503 instead of
 * delaying plain classifications. The queue holds about the backlog in time
 * that the classifier's does: its bound is divided by the graph's measured
 * relative cost, but always admits one full /classify/batch with
 * explain_class (`minQueue`: two maps per image).
 */
export function makeExplainBatchers(registry: ModelRegistry, options: BatcherOptions, metrics: Metrics, minQueue: number): Map<string, ExplainBatcher> {
  const batchers = new Map<string, ExplainBatcher>();
  for (const m of registry.list()) {
    if (!m.explainer) continue;
    const maxQueue = Math.max(Math.min(options.maxQueue, minQueue), Math.floor(options.maxQueue / m.explainer.relativeCost));
    batchers.set(
      m.name,
      new BatchQueue(
        explainRows(m.explainer),
        { ...options, maxQueue },
        batchObserver(metrics, m.explainer.name, 'explanation'),
        'explanation',
        m.explainer.lanes,
      ),
    );
  }
  return batchers;
}

export function getModel(ctx: ServeContext, name: string | undefined): { model: LoadedModel; batcher: Batcher } {
  const wanted = name || ctx.defaultModel;
  const model = ctx.registry.get(wanted);
  const batcher = ctx.batchers.get(wanted);
  if (!model || !batcher) {
    const known = ctx.registry
      .list()
      .map((m) => m.name)
      .join(', ');
    throw new HttpError('unknown_model', `no model named '${wanted.slice(0, 100)}'; loaded models: ${known || 'none'}`);
  }
  return { model, batcher };
}
