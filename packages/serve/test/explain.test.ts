import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, DEFAULT_MODEL, EXPLAIN_DIR, IMAGE_PIXELS, TOP_CLASS } from '@fmnist/core';
import { block, direct, expectServedMap, flat, graphHeatmap, models, useExplainServer } from './explain-fixture.ts';
import { form, pngOf, type Json } from './helpers.ts';

/**
 * /classify?explain=1 against the shipped explanation graphs: the server's
 * maps must be the graph's own output for the same preprocessed input, for
 * the top class and for another.
 */
const fx = useExplainServer();

async function classify(query: string, body: FormData): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${fx().server.url}/classify${query}`, { method: 'POST', body });
  return { status: res.status, json: await res.json() };
}

describe('POST /classify?explain=1', () => {
  for (const model of ['cnn', 'mlp']) {
    it(`${model}: the top class's map is the explanation graph's own output for the same input`, async () => {
      const png = await pngOf(block(1));
      const { status, json } = await classify(`?model=${model}&explain=1`, form({ image: png }));
      expect(status).toBe(200);
      const { explanation: e, predictions, timings } = json;
      expect(e.model.name).toBe(`${model}-explain`);
      expect(e.method).toBe(await graphHeatmap(model));
      expect(e.maps).toHaveLength(1);
      const [map] = e.maps;
      expect(map).toMatchObject({
        class: predictions[0] && { index: predictions[0].index, name: predictions[0].name },
        probability: predictions[0].probability,
        top: true,
        requested: false,
      });
      expect(map.heatmap).toHaveLength(28);
      for (const row of map.heatmap) expect(row).toHaveLength(28);
      const ref = await direct(fx().sessions.get(model)!, png, [map.class.index]);
      expectServedMap(map.heatmap, ref.heatmaps[0]!);
      // The graph's own choice of the top class agrees with the classifier's answer.
      expect((await direct(fx().sessions.get(model)!, png, [TOP_CLASS])).explained[0]).toBe(predictions[0].index);
      expect(timings.explainMs).toBeGreaterThan(0);
      expect(timings.overlayMs).toBeGreaterThanOrEqual(0);
    });
  }

  it('explains a class that is not the top one, named by label or by index, beside the top class', async () => {
    const png = await pngOf(block(2));
    const plain = await classify('?model=cnn&topk=10', form({ image: png }));
    const other = plain.json.predictions[3];
    for (const name of [other.name.toUpperCase(), String(other.index)]) {
      const { status, json } = await classify(`?model=cnn&explain=1&topk=10`, form({ image: png }, { explain_class: name }));
      expect(status).toBe(200);
      expect(json.predictions).toEqual(plain.json.predictions);
      const [top, asked] = json.explanation.maps;
      expect(top).toMatchObject({ top: true, requested: false });
      expect(asked).toMatchObject({ class: { index: other.index, name: other.name }, probability: other.probability, top: false, requested: true });
      const ref = await direct(fx().sessions.get('cnn')!, png, [top.class.index, other.index]);
      expectServedMap(top.heatmap, ref.heatmaps[0]!);
      expectServedMap(asked.heatmap, ref.heatmaps[1]!);
      expect(flat(asked.heatmap)).not.toEqual(flat(top.heatmap));
    }
  });

  it('gives one map when explain_class is the top class, and explain_class alone implies explain', async () => {
    const png = await pngOf(block(3));
    const plain = await classify('?model=mlp', form({ image: png }));
    const { json } = await classify(`?model=mlp&explain_class=${plain.json.predictions[0].index}`, form({ image: png }));
    expect(json.explanation.maps).toHaveLength(1);
    expect(json.explanation.maps[0]).toMatchObject({ top: true, requested: true });
  });

  it('draws an overlay PNG of the 28x28 input: the input itself where the map is cold', async () => {
    const pixels = block(4);
    const { json } = await classify('?model=cnn&explain=1', form({ image: await pngOf(pixels) }));
    const map = json.explanation.maps[0];
    const png = PNG.sync.read(Buffer.from(map.overlay.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect([png.width, png.height]).toEqual([28, 28]);
    const heat = flat(map.heatmap);
    let cold = 0;
    let hot = 0;
    for (let i = 0; i < IMAGE_PIXELS; i++) {
      const rgb = [png.data[i * 4]!, png.data[i * 4 + 1]!, png.data[i * 4 + 2]!];
      if (heat[i] === 0) {
        expect(rgb).toEqual([pixels[i], pixels[i], pixels[i]]);
        cold++;
      } else if (heat[i]! > 0.5 && rgb.some((v) => v !== rgb[0])) hot++;
    }
    expect(cold).toBeGreaterThan(0);
    expect(hot).toBeGreaterThan(0);
  });

  it('reports, for a photo, the garment box inside the photo, around where the garment is', async () => {
    // A dark 200x160 rectangle at (150, 100) on a white 600x400 photo.
    const [w, h, gx, gy, gw, gh] = [600, 400, 150, 100, 200, 160];
    const rgb = Buffer.alloc(w * h * 3, 255);
    for (let y = gy; y < gy + gh; y++) for (let x = gx; x < gx + gw; x++) rgb.set([40, 50, 120], (y * w + x) * 3);
    const jpeg = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .jpeg()
      .toBuffer();
    const { status, json } = await classify('?model=cnn&explain=1', form({ image: jpeg }, {}, 'image/jpeg'));
    expect(status).toBe(200);
    const { photo, photoSize, input } = json.explanation.region;
    expect(photoSize).toEqual({ width: w, height: h });
    expect(photo.x).toBeGreaterThanOrEqual(0);
    expect(photo.y).toBeGreaterThanOrEqual(0);
    expect(photo.x + photo.width).toBeLessThanOrEqual(w);
    expect(photo.y + photo.height).toBeLessThanOrEqual(h);
    // The working image is 128 px wide: one working pixel is 600/128 ≈ 4.7 photo pixels.
    const slack = 2 * (w / 128);
    for (const [got, want] of [
      [photo.x, gx],
      [photo.y, gy],
      [photo.width, gw],
      [photo.height, gh],
    ])
      expect(Math.abs(got! - want!)).toBeLessThanOrEqual(slack);
    // A 5:4 garment fills the input's width and 4/5 of its height (22.4 px, give or take the working pixel the
    // segmentation's edge may add or drop), centred.
    expect([input.x, input.width]).toEqual([0, 28]);
    expect(Math.abs(input.height - 22.4)).toBeLessThanOrEqual(1);
    expect(input.y).toBe(Math.floor((28 - input.height) / 2));
  });

  it('answers the batch form per image, a bad image failing alone', async () => {
    const pngs = [await pngOf(block(5)), new Uint8Array([1, 2, 3]), await pngOf(block(6))];
    const { status, json } = await classify('/batch?model=mlp&explain=1&explain_class=Bag', form({ image: pngs }));
    expect(status).toBe(200);
    expect(json.results[1].error.code).toBe('unsupported_media_type');
    for (const i of [0, 2]) {
      const maps = json.results[i].explanation.maps;
      const classes = maps.map((m: Json) => m.class.index);
      expect(classes.at(-1)).toBe(CLASS_NAMES.indexOf('Bag'));
      const ref = await direct(fx().sessions.get('mlp')!, pngs[i]!, classes);
      maps.forEach((m: Json, j: number) => expectServedMap(m.heatmap, ref.heatmaps[j]!));
    }
  });

  it("admits a full batch of explained images (64, two maps each) into the slower graph's queue", async () => {
    const pngs = await Promise.all(Array.from({ length: 64 }, (_, i) => pngOf(block(20 + i))));
    const { status, json } = await classify('/batch?model=cnn&explain_class=Coat', form({ image: pngs }));
    expect(status).toBe(200);
    expect(json.results).toHaveLength(64);
    for (const r of json.results) expect(r.explanation.maps.at(-1).class.name).toBe('Coat');
  });

  it('answers a plain /classify without any explanation work', async () => {
    const { json } = await classify('?model=cnn', form({ image: await pngOf(block(7)) }));
    expect(json.explanation).toBeUndefined();
    expect(Object.keys(json.timings).sort()).toEqual(['decodeMs', 'inferenceMs', 'preprocessMs']);
  });
});

describe('explanation errors', () => {
  it.each([['10'], ['-1'], ['Jacket'], ['1.5'], ['']])('refuses explain_class=%j with a 400 JSON error naming the classes', async (value) => {
    const { status, json } = await classify(`?model=cnn&explain=1&explain_class=${encodeURIComponent(value)}`, form({ image: await pngOf(block(8)) }));
    expect(status).toBe(400);
    expect(json.error.code).toBe('bad_explain_class');
    expect(json.error.message).toContain('Ankle boot');
  });

  it('refuses explain=0 with explain_class, and an explain value that is no flag', async () => {
    const png = await pngOf(block(8));
    expect((await classify('?model=cnn&explain=0&explain_class=1', form({ image: png }))).json.error.code).toBe('bad_explain_class');
    expect((await classify('?model=cnn&explain=maybe', form({ image: png }))).status).toBe(400);
  });

  it('answers 409 for a model without an explanation graph, naming the models that have one', async () => {
    const { status, json } = await classify('?model=bare&explain=1', form({ image: await pngOf(block(9)) }));
    expect(status).toBe(409);
    expect(json.error.code).toBe('no_explanation');
    expect(json.error.message).toContain('explain/bare.onnx');
    expect(json.error.message).toMatch(/cnn, mlp/);
    // Plain classification of that model is unaffected.
    expect((await classify('?model=bare', form({ image: await pngOf(block(9)) }))).status).toBe(200);
  });

  it('refuses a graph exported from other weights than its classifier', async () => {
    const { status, json } = await classify('?model=stale&explain=1', form({ image: await pngOf(block(9)) }));
    expect(status).toBe(409);
    expect(json.error.message).toContain('other weights');
    expect((await fetch(`${fx().server.url}/v2/models/stale-explain`)).status).toBe(404);
  });

  it(`explains with the default model (${DEFAULT_MODEL}) exactly when its graph exists`, async () => {
    const { status, json } = await classify('?explain=1', form({ image: await pngOf(block(10)) }));
    if (existsSync(join(models, EXPLAIN_DIR, `${DEFAULT_MODEL}.onnx`))) {
      expect(status).toBe(200);
      expect(json.explanation.model.name).toBe(`${DEFAULT_MODEL}-explain`);
    } else {
      expect(status).toBe(409);
      expect(json.error.message).toContain(`explain/${DEFAULT_MODEL}.onnx`);
    }
  });
});
