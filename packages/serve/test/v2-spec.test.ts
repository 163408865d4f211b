/**
 * Every /v2 answer, success and error, for every model (the classifiers and
 * their `<model>-explain` graphs), validated against the Open Inference
 * Protocol's own OpenAPI YAML (test/oip-spec.ts says where the prose decides).
 */
import { describe, expect, it } from 'vitest';
import { bytesToInput, IMAGE_PIXELS, TOP_CLASS } from '@fmnist/core';
import { block, useExplainServer } from './explain-fixture.ts';
import type { Json } from './helpers.ts';
import { checkV2, oipSpecMissing } from './oip-spec.ts';
import { openRequest, readUntilClose } from './raw-http.ts';

const fx = useExplainServer();

/** Sends one request and returns its status and body once the spec has passed the answer. */
async function v2(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${fx().server.url}${path}`, init);
  const { problems, body: json } = await checkV2(method, path, res);
  expect(problems).toEqual([]);
  return { status: res.status, body: json };
}

const image = (n: number) => ({
  name: 'input',
  datatype: 'FP32',
  shape: [n, 1, 28, 28],
  data: Array.from({ length: n }, (_, i) => Array.from(bytesToInput(block(i)))).flat(),
});
const classes = (values: number[]) => ({ name: 'class', datatype: 'INT64', shape: [values.length], data: values });
/** A valid request for a model: the image, plus the class to explain for an explanation graph. */
const request = (model: string, n = 2) => ({
  inputs: model.endsWith('-explain') ? [image(n), classes(Array.from({ length: n }, (_, i) => (i === 0 ? TOP_CLASS : i % 10)))] : [image(n)],
});

describe.skipIf(oipSpecMissing !== undefined)('/v2 against the Open Inference Protocol YAML', () => {
  const models = async (): Promise<string[]> => {
    const list: Json = await (await fetch(`${fx().server.url}/models`)).json();
    return list.models.flatMap((m: Json) => [m.name, ...(m.explanation ? [m.explanation.name] : [])]);
  };

  it('server metadata at /v2 and /v2/, health, and not-ready as the error object', async () => {
    const root = await v2('GET', '/v2');
    expect(root.status).toBe(200);
    expect(await v2('GET', '/v2/')).toEqual(root);
    expect((await v2('GET', '/v2/health/live')).body).toEqual({ live: true });
    expect((await v2('GET', '/v2/health/ready')).body).toEqual({ ready: true });
    fx().server.ctx.state.ready = false;
    try {
      expect((await v2('GET', '/v2/health/ready')).status).toBe(503);
    } finally {
      fx().server.ctx.state.ready = true;
    }
  });

  it('metadata, readiness and inference of every model, versioned or not, with the id echoed', async () => {
    const names = await models();
    expect(names).toEqual(expect.arrayContaining(['cnn', 'cnn-explain', 'mlp', 'mlp-explain']));
    for (const name of names) {
      const meta = await v2('GET', `/v2/models/${name}`);
      expect(meta.status).toBe(200);
      expect(meta.body.platform).toBe('onnx_onnxv1');
      const version = meta.body.versions[0];
      expect(await v2('GET', `/v2/models/${name}/versions/${version}`)).toEqual(meta);
      expect((await v2('GET', `/v2/models/${name}/ready`)).body).toEqual({ name, ready: true });
      expect((await v2('GET', `/v2/models/${name}/versions/${version}/ready`)).body).toEqual({ name, ready: true });
      const plain = await v2('POST', `/v2/models/${name}/infer`, request(name));
      expect(plain.status).toBe(200);
      expect(plain.body).not.toHaveProperty('id');
      const params = { parameters: { a: 'x', b: 1.5, c: true } };
      const withId = await v2('POST', `/v2/models/${name}/versions/${version}/infer`, {
        id: `req-${name}`,
        ...params,
        ...request(name),
        outputs: [{ name: 'probabilities', ...params }],
      });
      expect(withId.status).toBe(200);
      expect(withId.body.id).toBe(`req-${name}`);
      expect(withId.body.outputs.map((o: Json) => o.name)).toEqual(['probabilities']);
      expect(withId.body.outputs[0].data).toEqual(plain.body.outputs.find((o: Json) => o.name === 'probabilities').data);
    }
  });

  it('refusals are the spec error object: 400, 404, 405, 413, 422', async () => {
    const ok = request('cnn', 1);
    const img = ok.inputs[0]!;
    const rows = Array.from({ length: 28 }, (_, y) => img.data.slice(y * 28, y * 28 + 28));
    const bad400: [string, unknown][] = [
      ['a number id', { ...ok, id: 42 }],
      ['a null id', { ...ok, id: null }],
      ['an object parameter', { ...ok, parameters: { a: { b: 1 } } }],
      ['an array parameter', { ...ok, parameters: { a: [1] } }],
      ['a null parameter', { ...ok, parameters: { a: null } }],
      ['parameters not an object', { ...ok, parameters: 'x' }],
      ['an input parameter that is an object', { inputs: [{ ...img, parameters: { a: {} } }] }],
      ['an output parameter that is an array', { ...ok, outputs: [{ name: 'logits', parameters: { a: [] } }] }],
      ['ragged rows', { inputs: [{ ...img, data: [[[...rows.slice(0, 27), [...rows[27]!, ...rows[0]!].slice(0, 27), rows[0]!.slice(0, 1)]]] }] }],
      ['rows nested unlike the shape', { inputs: [{ ...img, data: [rows] }] }],
      ['values and rows mixed', { inputs: [{ ...img, data: [[[...rows.slice(0, 27), ...rows[27]!]]] }] }],
      ['an unknown input', { inputs: [{ ...img, name: 'x' }] }],
      ['an unknown output', { ...ok, outputs: [{ name: 'nope' }] }],
      ['not JSON', '{"inputs": ['],
      ['not an object', '[1, 2]'],
    ];
    for (const [what, body] of bad400) {
      const res = await v2('POST', '/v2/models/cnn/infer', body);
      expect(res.status, what).toBe(400);
    }
    const explainBad = await v2('POST', '/v2/models/cnn-explain/infer', { id: 7, ...request('cnn-explain', 1) });
    expect(explainBad.status).toBe(400);
    expect(explainBad.body.error).toMatch(/`id` must be a string/);
    expect((await v2('POST', '/v2/models/cnn-explain/infer', { inputs: [image(1), { ...classes([1]), data: [[1]] }] })).status).toBe(400);

    for (const path of ['/v2/models/resnet', '/v2/models/resnet/ready', '/v2/models/cnn/versions/nope', '/v2/models/cnn/versions/nope/ready', '/v2/nope'])
      expect((await v2('GET', path)).status, path).toBe(404);
    expect((await v2('POST', '/v2/models/resnet/infer', ok)).status).toBe(404);
    expect((await v2('POST', '/v2/models/cnn-explain/versions/nope/infer', request('cnn-explain', 1))).status).toBe(404);
    expect((await v2('POST', '/v2/models/cnn')).status).toBe(405);
    expect((await v2('GET', '/v2/models/cnn/infer')).status).toBe(405);
    // Over --max-json-mb (6 MB by default): refused from the header before the body is read
    // (over a raw socket: fetch may see the connection reset while it is still uploading).
    const socket = await openRequest(
      fx().server.url,
      `POST /v2/models/cnn/infer HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: ${7 * 1024 * 1024}`,
    );
    const big = await readUntilClose(socket);
    const type = /content-type: ([^\r\n]*)/i.exec(big.head)?.[1] ?? '';
    expect(big.status).toBe(413);
    expect((await checkV2('POST', '/v2/models/cnn/infer', new Response(big.body, { status: 413, headers: { 'content-type': type } }))).problems).toEqual([]);
    // Finite FP32 inputs whose outputs overflow: never null in the JSON.
    expect((await v2('POST', '/v2/models/mlp/infer', { inputs: [{ ...img, data: new Array(IMAGE_PIXELS).fill(3e38) }] })).status).toBe(422);
  });
});
