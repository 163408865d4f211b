/**
 * Upper bounds for the two serving targets this machine misses: the
 * server's own stack (Hono on @hono/node-server, the dynamic batcher, the
 * CNN in its session thread) with work taken away. bench-serve.ts runs it
 * beside the real server, so the bounds come from the same run.
 *
 *   MODE=inference     POST / reads the body, ignores it, and classifies one
 *                      fixed, already preprocessed image: HTTP + batching +
 *                      inference, no decoding, no preprocessing.
 *   MODE=sharp-shrink  POST / decodes a photo with sharp shrinking it to the
 *                      128 px working size while decoding (libjpeg's DCT
 *                      scaling), then core's preprocessing and batched
 *                      inference: the photo path without browser parity.
 *
 * Usage: MODE=inference node --import tsx scripts/bounds-server.ts --models DIR
 * Prints `listening PORT`; stops on SIGTERM.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import sharp from 'sharp';
import { bytesToInput, DEFAULT_WORKING_SIZE, IMAGE_PIXELS, preprocessImage, topK } from '@fmnist/core';
import { Batcher, DEFAULT_BATCHING } from '../src/batcher.ts';
import { loadModel } from '../src/registry.ts';

const { values } = parseArgs({ options: { models: { type: 'string' } } });
if (!values.models) throw new Error('--models DIR is required');
const mode = process.env.MODE;
if (mode !== 'inference' && mode !== 'sharp-shrink') throw new Error(`MODE must be inference or sharp-shrink, got ${mode}`);

const model = await loadModel(join(values.models, 'cnn.onnx'), { device: 'cpu' });
const batcher = new Batcher(model.run, DEFAULT_BATCHING);
// A mid-gray square: its content does not change the cost of inference.
const fixed = bytesToInput(new Uint8Array(IMAGE_PIXELS).fill(128));
sharp.concurrency(1);
sharp.cache(false);

async function photoInput(bytes: Uint8Array): Promise<Float32Array> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .resize(DEFAULT_WORKING_SIZE, DEFAULT_WORKING_SIZE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels as 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  return bytesToInput(preprocessImage(raw).pixels);
}

const app = new Hono().post('/', async (c) => {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const input = mode === 'inference' ? fixed : await photoInput(body);
  const scores = await batcher.submit(input);
  return c.json({ model: model.name, predictions: topK(scores.probabilities, 3, model.classNames) });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
process.on('SIGTERM', () => {
  server.close(() => {
    void Promise.all([model.session.release(), model.bulkSession.release()]).then(() => process.exit(0));
  });
});
