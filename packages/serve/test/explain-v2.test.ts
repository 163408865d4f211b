import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { bytesToInput, TOP_CLASS } from '@fmnist/core';
import { asJson, block, graphHeatmap, useExplainServer } from './explain-fixture.ts';
import { pngOf, startTestServer, type Json } from './helpers.ts';

/** The explanation graphs as KServe v2 models, and explanations under load. */
const fx = useExplainServer();

describe('explanation load shedding', () => {
  it('sheds explanations beyond their queue with 503 + Retry-After, while plain classifications of the same model still pass', async () => {
    const small = await startTestServer({ modelsDir: fx().dir, batching: { maxBatch: 1, maxQueue: 1 } });
    try {
      const png = await pngOf(block(30));
      const post = (query: string) => fetch(`${small.url}/classify?model=cnn${query}`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
      // Two maps per request (the top class and Bag), submitted at once: while one runs and one waits, every other map is refused.
      const answers = await Promise.all(Array.from({ length: 24 }, () => post('&explain_class=Bag')));
      const shed = answers.filter((r) => r.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      expect(shed.length + answers.filter((r) => r.status === 200).length).toBe(answers.length);
      expect(shed[0]!.headers.get('retry-after')).toBe('1');
      expect(((await shed[0]!.json()) as Json).error.code).toBe('queue_full');
      expect((await post('')).status).toBe(200);
    } finally {
      await small.close();
    }
  }, 60_000);
});

describe('explanation graphs on KServe v2', () => {
  it('describes cnn-explain: image and class in, every map out', async () => {
    const meta: Json = await (await fetch(`${fx().server.url}/v2/models/cnn-explain`)).json();
    expect(meta.inputs).toEqual([
      { name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] },
      { name: 'class', datatype: 'INT64', shape: [-1] },
    ]);
    expect(meta.outputs.map((o: Json) => o.name)).toEqual(fx().sessions.get('cnn')!.outputNames);
    expect(await (await fetch(`${fx().server.url}/v2/models/cnn-explain/ready`)).json()).toEqual({ name: 'cnn-explain', ready: true });
    const listed: Json = await (await fetch(`${fx().server.url}/models/cnn`)).json();
    expect(listed.explanation).toMatchObject({ name: 'cnn-explain', version: meta.versions[0], method: await graphHeatmap('cnn') });
  });

  it('infers a batch with the class to explain as a second tensor, as the graph does', async () => {
    const images = [block(11), block(12)];
    const data = images.flatMap((px) => Array.from(bytesToInput(px)));
    const body = {
      id: 'x1',
      inputs: [
        { name: 'class', datatype: 'INT64', shape: [2], data: [TOP_CLASS, 3] },
        { name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28], data },
      ],
      outputs: [{ name: 'heatmap' }, { name: 'explained_class' }],
    };
    const res = await fetch(`${fx().server.url}/v2/models/cnn-explain/infer`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const json: Json = await res.json();
    expect(json).toMatchObject({ model_name: 'cnn-explain', id: 'x1' });
    expect(json.outputs.map((o: Json) => [o.name, o.datatype, o.shape])).toEqual([
      ['heatmap', 'FP32', [2, 28, 28]],
      ['explained_class', 'INT64', [2]],
    ]);
    const out = await fx()
      .sessions.get('cnn')!
      .run({ input: new ort.Tensor('float32', Float32Array.from(data), [2, 1, 28, 28]), class: new ort.Tensor('int64', BigInt64Array.of(-1n, 3n), [2]) });
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
      const res = await fetch(`${fx().server.url}/v2/models/cnn-explain/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error).toMatch(/class/);
    }
  });
});
