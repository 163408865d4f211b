import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, NUM_CLASSES } from '@fmnist/core';
import { pngOf, useFixtureServer, type Json } from './helpers.ts';

const server = useFixtureServer();

const image = (seed: number) => new Uint8Array(IMAGE_PIXELS).map((_, i) => ((i * seed) % 251) * (i % 28 > 4 && i % 28 < 24 ? 1 : 0));
const infer = (body: unknown, model = 'cnn') =>
  fetch(`${server().url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('Open Inference Protocol (KServe v2)', () => {
  it('health and model metadata follow the spec', async () => {
    expect((await fetch(`${server().url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${server().url}/v2/health/ready`)).status).toBe(200);
    const ready = (await (await fetch(`${server().url}/v2/models/mlp/ready`)).json()) as Json;
    expect(ready).toEqual({ name: 'mlp', ready: true });
    const meta = (await (await fetch(`${server().url}/v2/models/cnn`)).json()) as Json;
    expect(meta.name).toBe('cnn');
    expect(meta.versions).toHaveLength(1);
    expect(meta.platform).toBe('onnx_onnxv1');
    expect(meta.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }]);
    const version = meta.versions[0];
    expect((await fetch(`${server().url}/v2/models/cnn/versions/${version}`)).status).toBe(200);
    expect((await fetch(`${server().url}/v2/models/cnn/versions/${version}/ready`)).status).toBe(200);
    expect((await fetch(`${server().url}/v2/models/cnn/versions/nope`)).status).toBe(404);
    expect(meta.outputs.map((o: Json) => [o.name, o.datatype, o.shape])).toEqual([
      ['logits', 'FP32', [-1, NUM_CLASSES]],
      ['probabilities', 'FP32', [-1, NUM_CLASSES]],
    ]);
  });

  it('infers a batch of flat FP32 tensors; results match /classify for the same pixels', async () => {
    const imgs = [image(3), image(7)];
    const data = imgs.flatMap((px) => Array.from(px, (v) => v / 255));
    const res = await infer({ id: 'req-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28], data }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.model_name).toBe('cnn');
    const versioned = await fetch(`${server().url}/v2/models/cnn/versions/${body.model_version}/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28], data }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(((await versioned.json()) as Json).outputs).toEqual(body.outputs);
    expect(body.id).toBe('req-1');
    expect(typeof body.model_version).toBe('string');
    const probs = body.outputs.find((o: Json) => o.name === 'probabilities');
    expect(probs.shape).toEqual([2, NUM_CLASSES]);
    expect(probs.datatype).toBe('FP32');
    expect(probs.data).toHaveLength(2 * NUM_CLASSES);
    for (const [i, px] of imgs.entries()) {
      const viaClassify = (await (
        await fetch(`${server().url}/classify?topk=10`, { method: 'POST', body: await pngOf(px), headers: { 'content-type': 'image/png' } })
      ).json()) as Json;
      for (const p of viaClassify.predictions) expect(probs.data[i * NUM_CLASSES + p.index]).toBeCloseTo(p.probability, 5);
    }
  });

  it('accepts nested row-major data and returns only the requested outputs', async () => {
    const px = image(5);
    const nested = [[Array.from({ length: 28 }, (_, y) => Array.from(px.subarray(y * 28, y * 28 + 28), (v) => v / 255))]];
    const flat = (await (
      await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data: Array.from(px, (v) => v / 255) }] })
    ).json()) as Json;
    const res = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data: nested }], outputs: [{ name: 'logits' }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.outputs.map((o: Json) => o.name)).toEqual(['logits']);
    expect(body.outputs[0].data).toEqual(flat.outputs.find((o: Json) => o.name === 'logits').data);
  });
});
