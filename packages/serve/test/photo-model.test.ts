import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptMask,
  accepts,
  argmaxRows,
  bytesToInput,
  DEFAULT_MODEL,
  IMAGE_PIXELS,
  NUM_CLASSES,
  photoFoldSplit,
  preprocessImage,
  softmaxRows,
  METADATA_KEYS,
} from '@fmnist/core';
import { preprocessVersion, readPhotoSet, repoRoot } from '@fmnist/core/node';
import { testPhotoDir } from '@fmnist/core/testing';
import { decodeImage } from '../src/decode.ts';
import { readOnnxInfo } from '../src/onnx-meta.ts';
import type { RunningServer } from '../src/server.ts';
import { startTestServer, type Json } from './helpers.ts';

// The shipped default model: the CNN fine-tuned on real photos. Its file must exist (it ships with the repository).
const modelsDir = join(repoRoot(), 'models');
const file = join(modelsDir, `${DEFAULT_MODEL}.onnx`);
const photoDir = testPhotoDir();
const sampleDir = testPhotoDir('samples');

async function modelInput(path: string): Promise<Float32Array> {
  return bytesToInput(preprocessImage(await decodeImage(new Uint8Array(await readFile(path)))).pixels);
}

describe(`the shipped default model (${DEFAULT_MODEL})`, () => {
  let meta: Record<string, string>;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    const bytes = new Uint8Array(await readFile(file));
    meta = readOnnxInfo(bytes).metadata;
    session = await ort.InferenceSession.create(bytes);
  });

  it('carries its calibration and what it was trained and validated on', () => {
    const calibration = JSON.parse(meta[METADATA_KEYS.calibration]!);
    expect(calibration.temperature).toBeGreaterThan(0);
    expect(calibration.uncertain_threshold).toBeGreaterThan(0);
    expect(calibration.uncertain_threshold).toBeLessThan(1);
    const data = JSON.parse(meta[METADATA_KEYS.trainingData]!);
    expect(data.photos.train).toBeGreaterThan(500);
    expect(data.photoValidation.count).toBeGreaterThan(100);
    // Measured with today's preprocessing: a change there must re-measure the shipped figures (`recalibrate`).
    expect(data.photoValidation.preprocessVersion).toBe(preprocessVersion());
  });

  it.skipIf(!photoDir)(
    'scores the accept-top1 its metadata records on the photo validation split, re-measured through the server decoder',
    async () => {
      const data = JSON.parse(meta[METADATA_KEYS.trainingData]!);
      const recipe = data.recipe.photos as { folds: number; fold: number; splitSeed: number };
      const set = await readPhotoSet(photoDir!);
      const { validation } = photoFoldSplit(set.entries, recipe.folds, recipe.fold, recipe.splitSeed);
      const labelled = validation.filter((i) => set.entries[i]!.accept.length > 0);
      expect(labelled.length).toBe(data.photoValidation.count);
      const x = new Float32Array(labelled.length * IMAGE_PIXELS);
      for (const [j, i] of labelled.entries()) x.set(await modelInput(join(photoDir!, set.entries[i]!.file)), j * IMAGE_PIXELS);
      const out = await session.run({ input: new ort.Tensor('float32', x, [labelled.length, 1, 28, 28]) });
      const top = argmaxRows(out.logits!.data as Float32Array, NUM_CLASSES);
      const right = labelled.filter((i, j) => accepts(acceptMask(set.entries[i]!.accept), top[j]!)).length;
      // Training measured it with tfjs on the same pixels; a photo whose two best logits tie within float error may flip.
      expect(Math.abs(right - Math.round(data.photoValidation.acceptTop1 * labelled.length))).toBeLessThanOrEqual(1);
    },
    120_000,
  );

  describe.skipIf(!sampleDir)('over HTTP', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startTestServer({ modelsDir });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('is the default, and /classify answers its calibrated probabilities with the uncertain flag', async () => {
      const models = (await (await fetch(`${server.url}/models`)).json()) as Json;
      expect(models.default).toBe(DEFAULT_MODEL);
      const { temperature, uncertain_threshold: threshold } = JSON.parse(meta[METADATA_KEYS.calibration]!);
      let moved = 0;
      for (const name of ['shoes_01.jpg', 'dress_02.jpg', 't-shirt_03.jpg', 'outwear_04.jpg', 'longsleeve_05.jpg', 'pants_06.jpg']) {
        const path = join(sampleDir!, name);
        const res = await fetch(`${server.url}/classify?topk=10`, { method: 'POST', body: await readFile(path), headers: { 'content-type': 'image/jpeg' } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as Json;
        expect(body.model.name).toBe(DEFAULT_MODEL);
        // The same photo through the graph's logits, calibrated by hand.
        const logits = (await session.run({ input: new ort.Tensor('float32', await modelInput(path), [1, 1, 28, 28]) })).logits!.data as Float32Array;
        const expected = softmaxRows(logits, temperature);
        for (const p of body.predictions) expect(p.probability).toBeCloseTo(expected[p.index]!, 5);
        const top = body.predictions[0].probability as number;
        expect(body.uncertain).toBe(top < threshold);
        moved = Math.max(moved, Math.abs(softmaxRows(logits)[body.predictions[0].index]! - top));
      }
      // Calibration changes the numbers: the plain softmax would state other top probabilities.
      if (Math.abs(temperature - 1) > 0.05) expect(moved).toBeGreaterThan(1e-3);
    });
  });
});
