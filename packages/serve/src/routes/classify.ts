import { Hono } from 'hono';
import { classifyImage, flag, type ClassifyJob } from '../classify-one.ts';
import { getModel, type ServeContext } from '../context.ts';
import { planDecode, refuseFromPrefix } from '../decode-budget.ts';
import { shedPhotosEarly } from '../early-shed.ts';
import { HttpError } from '../errors.ts';
import { parseExplain } from '../explain-request.ts';
import { Semaphore } from '../semaphore.ts';
import { parseTopK } from '../topk.ts';
import { readUpload } from '../upload.ts';
import { BodyPacer } from '../body-pacer.ts';

/**
 * POST /classify: one image (multipart field `image`, or a raw image body).
 * POST /classify/batch: several `image` fields, answered in order; a bad
 * image gets its own error entry and does not fail its neighbours, but the
 * images' summed decode cost is checked first, for the whole request.
 */
export function classifyRoutes(ctx: ServeContext) {
  const shed = shedPhotosEarly(ctx);
  const inspect = (prefix: Uint8Array) => refuseFromPrefix(prefix, ctx.decode);
  // One budget for both routes: every large photo body the server is reading shares it.
  const pacer = new BodyPacer(ctx.limits.bodyBytesPerTurn);
  return new Hono()
    .post('/classify', shed, async (c) => {
      const { images, fields } = await readUpload(c, { inspect, pacer });
      if (images.length > 1) throw new HttpError('too_many_images', `POST /classify takes one image, got ${images.length}; use POST /classify/batch`);
      const { model, batcher } = getModel(ctx, fields.model);
      const k = parseTopK(fields.topk, model.classNames.length);
      const extras = { input: flag(fields.input), explain: parseExplain(ctx, model, fields) };
      const result = await classifyImage(ctx, model, batcher, { bytes: images[0]!, request: c.req.raw }, k, extras);
      return c.json({ model: { name: model.name, version: model.version, provider: model.provider }, ...result });
    })
    .post('/classify/batch', shed, async (c) => {
      const { images, fields } = await readUpload(c, { inspect, pacer });
      if (images.length > ctx.limits.maxBatchImages) {
        throw new HttpError('too_many_images', `at most ${ctx.limits.maxBatchImages} images per batch, got ${images.length}`);
      }
      const { model, batcher } = getModel(ctx, fields.model);
      const k = parseTopK(fields.topk, model.classNames.length);
      const extras = { input: flag(fields.input), explain: parseExplain(ctx, model, fields) };
      const gate = new Semaphore(ctx.images.threads);
      const jobs = images.map((bytes): ClassifyJob | HttpError => {
        try {
          return { bytes, plan: planDecode(bytes, ctx.decode), request: c.req.raw, gate };
        } catch (err) {
          if (err instanceof HttpError) return err;
          throw err;
        }
      });
      const cost = jobs.reduce((sum, j) => sum + (j instanceof HttpError ? 0 : j.plan!.cost), 0);
      if (cost > ctx.limits.maxBatchCost) {
        const mp = (n: number) => Math.round(n / 1e5) / 10;
        throw new HttpError(
          'over_budget',
          `the batch's images cost ${mp(cost)} megapixels to decode (JPEG-equivalent; AVIF, WebP and elongated images count more); a batch may cost ${mp(ctx.limits.maxBatchCost)}: send fewer or smaller images`,
        );
      }
      const results = await Promise.all(
        jobs.map((job) =>
          (job instanceof HttpError ? Promise.reject(job) : classifyImage(ctx, model, batcher, job, k, extras)).catch((err: unknown) => {
            // Per-image client faults are reported in place; anything else (shedding included) fails the request.
            if (err instanceof HttpError && err.status < 500) return { error: err.toJSON().error };
            throw err;
          }),
        ),
      );
      return c.json({ model: { name: model.name, version: model.version, provider: model.provider }, results });
    });
}
