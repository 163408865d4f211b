import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DatasetError, type Split } from '@fmnist/core';
import { getModel, type ServeContext } from '../context.ts';
import { refuseStatedHead, STATED_COUNT_BYTES } from '../dataset-upload.ts';
import { HttpError } from '../errors.ts';
import { evaluateSplit } from '../evaluation.ts';
import { mediaType, readForm, readJson } from '../upload.ts';
import { ClientGoneError } from '../work-queue.ts';

/**
 * POST /evaluate?model=cnn: accuracy, per-class precision/recall/F1, macro
 * averages, confusion matrix and throughput over the Fashion-MNIST test set
 * from the data directory, or over an uploaded IDX pair (multipart fields
 * `images` and `labels`, raw or gzipped, at most --max-eval-images images).
 * With `Accept: text/event-stream` or `?stream=1` it streams `progress`
 * events, then one `result` event. Evaluations use every core, so they run
 * one at a time (--eval-concurrency) behind a short queue (--eval-queue);
 * one whose client has gone stops at its next batch.
 */
export function evaluateRoutes(ctx: ServeContext) {
  return new Hono().post('/evaluate', async (c) => {
    const started = performance.now();
    const { split, source, fields } = await readSplit(c, ctx);
    const { model } = getModel(ctx, fields.model);
    const wantsStream = fields.stream === '1' || fields.stream === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    const run = (signal: AbortSignal, onProgress?: Parameters<typeof evaluateSplit>[3]) =>
      ctx.evalQueue.run(1, signal, () => evaluateSplit(model, split, started, onProgress, signal));
    if (!wantsStream) return c.json({ source, ...(await run(c.req.raw.signal)) });
    // A full queue is a 503 before the stream starts, not an event inside it.
    if (ctx.evalQueue.full) throw new HttpError('queue_full', 'the evaluate queue is full; retry shortly', { 'Retry-After': '5' });
    const gone = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => gone.abort(), { once: true });
    return streamSSE(
      c,
      async (stream) => {
        stream.onAbort(() => gone.abort());
        const result = await run(gone.signal, (p) => stream.writeSSE({ event: 'progress', data: JSON.stringify(p) }));
        await stream.writeSSE({ event: 'result', data: JSON.stringify({ source, ...result }) });
      },
      async (err, stream) => {
        if (err instanceof ClientGoneError || gone.signal.aborted) {
          ctx.metrics.cancelled.inc({ stage: err instanceof ClientGoneError ? err.stage : 'evaluate' });
          return;
        }
        const e = err instanceof HttpError ? err : new HttpError('internal', 'internal error');
        ctx.metrics.errors.inc({ code: e.code });
        await stream.writeSSE({ event: 'error', data: JSON.stringify(e.toJSON()) });
      },
    );
  });
}

async function readSplit(c: Context, ctx: ServeContext): Promise<{ split: Split; source: string; fields: Record<string, string> }> {
  const fields: Record<string, string> = { ...c.req.query() };
  const type = mediaType(c);
  if (type === 'multipart/form-data') {
    const files: Record<string, Uint8Array> = {};
    const max = ctx.limits.maxEvalImages;
    const statedCounts = {
      bytes: STATED_COUNT_BYTES,
      head: (name: string, head: Uint8Array) => (name === 'images' || name === 'labels' ? refuseStatedHead(head, max) : undefined),
    };
    for (const [key, value] of await readForm(c, statedCounts)) {
      if (typeof value === 'string') fields[key] = value;
      else files[key] = value;
    }
    const images = files.images;
    const labels = files.labels;
    if (images || labels) {
      if (!images || !labels) throw new HttpError('bad_dataset', "upload both IDX files: fields 'images' and 'labels'");
      return { split: await ctx.images.unpackDataset(images, labels, max), source: 'upload', fields };
    }
  } else if (type === 'application/json') {
    const body = await readJson(c, ctx.limits.maxJsonBytes);
    if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) if (typeof v === 'string' || typeof v === 'number') fields[k] = String(v);
  }
  try {
    return { split: await ctx.testSet(), source: 'test-set', fields };
  } catch (err) {
    if (err instanceof DatasetError) {
      throw new HttpError(
        'no_data',
        `the Fashion-MNIST test set is not in the data directory: run \`pnpm data:download\`, or start the server with --data-dir DIR (or FMNIST_DIR) pointing at the folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz; or upload an IDX pair as multipart fields 'images' and 'labels'`,
      );
    }
    throw err;
  }
}
