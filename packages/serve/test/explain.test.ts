import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToInput, CLASS_NAMES, DEFAULT_MODEL, EXPLAIN_DIR, IMAGE_PIXELS, TOP_CLASS } from '@fmnist/core';
import { repoRoot } from '@fmnist/core/node';
import { DEFAULT_DECODE } from '../src/decode-budget.ts';
import { prepareImage } from '../src/prepare.ts';
import type { RunningServer } from '../src/server.ts';
import { form, pngOf, startTestServer, type Json } from './helpers.ts';

/**
 * Explanations against the shipped explanation graphs (models/explain): the
 * server's maps must be the graph's own output for the same preprocessed
 * input, for the top class and for another.
 */
const models = join(repoRoot(), 'models');
let dir: string;
let server: RunningServer;
const sessions = new Map<string, ort.InferenceSession>();

beforeAll(async () => {
  // A models directory of links: two models with graphs, one without, one whose graph came from other weights.
  dir = await mkdtemp(join(tmpdir(), 'fmnist-explain-'));
  await mkdir(join(dir, EXPLAIN_DIR));
  const link = (from: string, to: string) => symlink(join(models, from), join(dir, to));
  await link('cnn.onnx', 'cnn.onnx');
  await link('mlp.onnx', 'mlp.onnx');
  await link(`${EXPLAIN_DIR}/cnn.onnx`, `${EXPLAIN_DIR}/cnn.onnx`);
  await link(`${EXPLAIN_DIR}/mlp.onnx`, `${EXPLAIN_DIR}/mlp.onnx`);
  await link('mlp.onnx', 'bare.onnx');
  await link('cnn.onnx', 'stale.onnx');
  await link(`${EXPLAIN_DIR}/mlp.onnx`, `${EXPLAIN_DIR}/stale.onnx`);
  await link(`${DEFAULT_MODEL}.onnx`, `${DEFAULT_MODEL}.onnx`);
  // The default model explains as soon as its graph ships; until then it must refuse clearly.
  if (existsSync(join(models, EXPLAIN_DIR, `${DEFAULT_MODEL}.onnx`))) await link(`${EXPLAIN_DIR}/${DEFAULT_MODEL}.onnx`, `${EXPLAIN_DIR}/${DEFAULT_MODEL}.onnx`);
  server = await startTestServer({ modelsDir: dir });
  for (const m of ['cnn', 'mlp']) sessions.set(m, await ort.InferenceSession.create(join(models, EXPLAIN_DIR, `${m}.onnx`)));
}, 120_000);

afterAll(async () => {
  await server?.close();
  for (const s of sessions.values()) await s.release();
  await rm(dir, { recursive: true, force: true });
});

/** A synthetic Fashion-MNIST-like image: a bright block on black. */
function block(seed: number): Uint8Array {
  const px = new Uint8Array(IMAGE_PIXELS);
  for (let y = 3 + (seed % 5); y < 25; y++) for (let x = 5 + (seed % 3); x < 23 - (seed % 7); x++) px[y * 28 + x] = 90 + ((x * y * 7 + seed * 13) % 160);
  return px;
}

/** The graph's heatmaps for one upload, run directly: the server's preprocessing, then onnxruntime-node. */
async function direct(model: string, bytes: Uint8Array, classes: number[]): Promise<{ heatmaps: Float32Array[]; explained: number[] }> {
  const { pixels } = await prepareImage(bytes, DEFAULT_DECODE, {});
  const one = bytesToInput(pixels);
  const input = new Float32Array(classes.length * IMAGE_PIXELS);
  classes.forEach((_, i) => input.set(one, i * IMAGE_PIXELS));
  const out = await sessions.get(model)!.run({ input: new ort.Tensor('float32', input, [classes.length, 1, 28, 28]), class: new ort.Tensor('int64', BigInt64Array.from(classes, BigInt), [classes.length]) });
  const heat = out.heatmap!.data as Float32Array;
  return { heatmaps: classes.map((_, i) => heat.slice(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)), explained: Array.from(out.explained_class!.data as BigInt64Array, Number) };
}

const flat = (rows: number[][]) => Float32Array.from(rows.flat());

/** The graph's float32 values as JSON carries them: exactly, except that -0 (which JSON cannot write) reads back as 0. */
const asJson = (values: Float32Array) => Float32Array.from(values, (v) => v + 0);

async function classify(query: string, body: FormData): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${server.url}/classify${query}`, { method: 'POST', body });
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
      expect(e.method).toBe(JSON.parse((await models_metadata(model)).explanation!).heatmap);
      expect(e.maps).toHaveLength(1);
      const [map] = e.maps;
      expect(map).toMatchObject({ class: predictions[0] && { index: predictions[0].index, name: predictions[0].name }, probability: predictions[0].probability, top: true, requested: false });
      expect(map.heatmap).toHaveLength(28);
      for (const row of map.heatmap) expect(row).toHaveLength(28);
      const ref = await direct(model, png, [map.class.index]);
      expect(flat(map.heatmap)).toEqual(asJson(ref.heatmaps[0]!));
      // The graph's own choice of the top class agrees with the classifier's answer.
      expect((await direct(model, png, [TOP_CLASS])).explained[0]).toBe(predictions[0].index);
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
      const ref = await direct('cnn', png, [top.class.index, other.index]);
      expect(flat(top.heatmap)).toEqual(asJson(ref.heatmaps[0]!));
      expect(flat(asked.heatmap)).toEqual(asJson(ref.heatmaps[1]!));
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
    const jpeg = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg().toBuffer();
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
    for (const [got, want] of [[photo.x, gx], [photo.y, gy], [photo.width, gw], [photo.height, gh]]) expect(Math.abs(got! - want!)).toBeLessThanOrEqual(slack);
    // A 5:4 garment fills the input's width and 4/5 of its height, centred.
    expect(input).toEqual({ x: 0, y: 3, width: 28, height: 22 });
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
      const ref = await direct('mlp', pngs[i]!, classes);
      maps.forEach((m: Json, j: number) => expect(flat(m.heatmap)).toEqual(asJson(ref.heatmaps[j]!)));
    }
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
    expect((await fetch(`${server.url}/v2/models/stale-explain`)).status).toBe(404);
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

describe('explanation graphs on KServe v2', () => {
  it('describes cnn-explain: image and class in, every map out', async () => {
    const meta: Json = await (await fetch(`${server.url}/v2/models/cnn-explain`)).json();
    expect(meta.inputs).toEqual([
      { name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] },
      { name: 'class', datatype: 'INT64', shape: [-1] },
    ]);
    expect(meta.outputs.map((o: Json) => o.name)).toEqual(sessions.get('cnn')!.outputNames);
    expect((await (await fetch(`${server.url}/v2/models/cnn-explain/ready`)).json())).toEqual({ name: 'cnn-explain', ready: true });
    const listed: Json = await (await fetch(`${server.url}/models/cnn`)).json();
    expect(listed.explanation).toMatchObject({ name: 'cnn-explain', version: meta.versions[0], method: JSON.parse((await models_metadata('cnn')).explanation!).heatmap });
  });

  it('infers a batch with the class to explain as a second tensor, as the graph does', async () => {
    const images = [block(11), block(12)];
    const data = images.flatMap((px) => Array.from(bytesToInput(px)));
    const body = { id: 'x1', inputs: [{ name: 'class', datatype: 'INT64', shape: [2], data: [TOP_CLASS, 3] }, { name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28], data }], outputs: [{ name: 'heatmap' }, { name: 'explained_class' }] };
    const res = await fetch(`${server.url}/v2/models/cnn-explain/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const json: Json = await res.json();
    expect(json).toMatchObject({ model_name: 'cnn-explain', id: 'x1' });
    expect(json.outputs.map((o: Json) => [o.name, o.datatype, o.shape])).toEqual([['heatmap', 'FP32', [2, 28, 28]], ['explained_class', 'INT64', [2]]]);
    const out = await sessions.get('cnn')!.run({ input: new ort.Tensor('float32', Float32Array.from(data), [2, 1, 28, 28]), class: new ort.Tensor('int64', BigInt64Array.of(-1n, 3n), [2]) });
    expect(Float32Array.from(json.outputs[0].data)).toEqual(asJson(out.heatmap!.data as Float32Array));
    expect(json.outputs[1].data).toEqual(Array.from(out.explained_class!.data as BigInt64Array, Number));
    expect(json.outputs[1].data[1]).toBe(3);
  });

  it('refuses a class tensor that is missing, mistyped, misshaped or out of range with 400 bad_tensor', async () => {
    const input = { name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data: Array.from(bytesToInput(block(13))) };
    const cases = [
      [input],
      [input, { name: 'class', datatype: 'FP32', shape: [1], data: [1] }],
      [input, { name: 'class', datatype: 'INT64', shape: [2], data: [1, 2] }],
      [input, { name: 'class', datatype: 'INT64', shape: [1], data: [10] }],
      [input, { name: 'class', datatype: 'INT64', shape: [1], data: [-2] }],
    ];
    for (const inputs of cases) {
      const res = await fetch(`${server.url}/v2/models/cnn-explain/infer`, { method: 'POST', body: JSON.stringify({ inputs }), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error.code).toBe('bad_tensor');
    }
  });
});

async function models_metadata(model: string): Promise<Record<string, string>> {
  const { readOnnxInfo } = await import('../src/onnx-meta.ts');
  return readOnnxInfo(new Uint8Array(await readFile(join(models, EXPLAIN_DIR, `${model}.onnx`)))).metadata;
}
