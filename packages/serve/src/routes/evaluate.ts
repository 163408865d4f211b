import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DatasetError, splitFromIdx, type Split } from '@fmnist/core';
import { decompressIfGzip, loadSplit } from '@fmnist/core/node';
import { getModel, type ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { evaluateSplit } from '../evaluation.ts';
import { Semaphore } from '../semaphore.ts';
import { mediaType, readForm } from '../upload.ts';

/**
 * POST /evaluate?model=cnn: accuracy, per-class precision/recall/F1, macro
 * averages, confusion matrix and throughput over the Fashion-MNIST test set
 * from the data directory, or over an uploaded IDX pair (multipart fields
 * `images` and `labels`, raw or gzipped). With `Accept: text/event-stream`
 * or `?stream=1` it streams `progress` events, then one `result` event.
 */
export function evaluateRoutes(ctx: ServeContext) {
  // One evaluation at a time: each one uses every core; concurrent ones would only slow each other and the live traffic.
  const one = new Semaphore(1);
  return new Hono().post('/evaluate', async (c) => {
    const started = performance.now();
    const { split, source, fields } = await readSplit(c, ctx);
    const { model } = getModel(ctx, fields.model);
    const wantsStream = fields.stream === '1' || fields.stream === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) return c.json({ source, ...(await one.run(() => evaluateSplit(model, split, started))) });
    return streamSSE(c, async (stream) => {
      const result = await one.run(() => evaluateSplit(model, split, started, (p) => stream.writeSSE({ event: 'progress', data: JSON.stringify(p) })));
      await stream.writeSSE({ event: 'result', data: JSON.stringify({ source, ...result }) });
    });
  });
}

async function readSplit(c: Context, ctx: ServeContext): Promise<{ split: Split; source: string; fields: Record<string, string> }> {
  const fields: Record<string, string> = { ...c.req.query() };
  const type = mediaType(c);
  if (type === 'multipart/form-data') {
    const files: Record<string, Uint8Array> = {};
    for (const [key, value] of await readForm(c)) {
      if (typeof value === 'string') fields[key] = value;
      else files[key] = value;
    }
    const images = files.images;
    const labels = files.labels;
    if (images || labels) {
      if (!images || !labels) throw new HttpError('bad_dataset', "upload both IDX files: fields 'images' and 'labels'");
      try {
        return { split: splitFromIdx(decompressIfGzip(images, 'images'), decompressIfGzip(labels, 'labels'), 'images', 'labels'), source: 'upload', fields };
      } catch (err) {
        if (err instanceof DatasetError) throw new HttpError('bad_dataset', err.message);
        throw err;
      }
    }
  } else if (type === 'application/json') {
    try {
      const body: unknown = await c.req.json();
      if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) if (typeof v === 'string' || typeof v === 'number') fields[k] = String(v);
    } catch {
      throw new HttpError('bad_request', 'the JSON body is malformed');
    }
  }
  try {
    return { split: await loadSplit(ctx.dataDir, 'test', { verify: false }), source: 'test-set', fields };
  } catch (err) {
    if (err instanceof DatasetError) {
      throw new HttpError('no_data', `the Fashion-MNIST test set is not in the data directory: run \`pnpm data:download\`, or start the server with --data-dir DIR (or FMNIST_DIR) pointing at the folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz; or upload an IDX pair as multipart fields 'images' and 'labels'`);
    }
    throw err;
  }
}
