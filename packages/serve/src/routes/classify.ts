import { Hono } from 'hono';
import { classifyImage, flag } from '../classify-one.ts';
import { getModel, type ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { parseTopK } from '../topk.ts';
import { readUpload } from '../upload.ts';

/**
 * POST /classify: one image (multipart field `image`, or a raw image body).
 * POST /classify/batch: several `image` fields, answered in order; a bad
 * image gets its own error entry and does not fail its neighbours.
 */
export function classifyRoutes(ctx: ServeContext) {
  return new Hono()
    .post('/classify', async (c) => {
      const { images, fields } = await readUpload(c);
      if (images.length > 1) throw new HttpError('too_many_images', `POST /classify takes one image, got ${images.length}; use POST /classify/batch`);
      const { model, batcher } = getModel(ctx, fields.model);
      const k = parseTopK(fields.topk, model.classNames.length);
      const result = await classifyImage(ctx, model, batcher, images[0]!, k, flag(fields.input));
      return c.json({ model: { name: model.name, version: model.version, provider: model.provider }, ...result });
    })
    .post('/classify/batch', async (c) => {
      const { images, fields } = await readUpload(c);
      if (images.length > ctx.limits.maxBatchImages) {
        throw new HttpError('too_many_images', `at most ${ctx.limits.maxBatchImages} images per batch, got ${images.length}`);
      }
      const { model, batcher } = getModel(ctx, fields.model);
      const k = parseTopK(fields.topk, model.classNames.length);
      const withInput = flag(fields.input);
      const results = await Promise.all(
        images.map((bytes) =>
          classifyImage(ctx, model, batcher, bytes, k, withInput).catch((err: unknown) => {
            // Per-image client faults are reported in place; anything else fails the request.
            if (err instanceof HttpError && err.status < 500) return { error: err.toJSON().error };
            throw err;
          }),
        ),
      );
      return c.json({ model: { name: model.name, version: model.version, provider: model.provider }, results });
    });
}
