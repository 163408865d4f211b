import { Hono, type Context } from 'hono';
import { INPUT_CONTRACT, NUM_CLASSES, OUTPUT_NAMES } from '@fmnist/core';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { LoadedExplainer } from '../explainer.ts';
import type { LoadedModel } from '../registry.ts';
import { explainerMetadata, inferExplainer } from './v2-explain.ts';
import { readJson } from '../upload.ts';
import { allFinite, bad, isObject, parseEnvelope, parseImageTensor, parseOutputs, V2_PLATFORM } from '../v2-tensors.ts';

/** Paths of the Open Inference Protocol, whose errors are the spec's `{"error": "<message>"}`. */
export const isV2Path = (path: string) => path === '/v2' || path.startsWith('/v2/');

/**
 * The Open Inference Protocol (KServe v2) REST API, JSON tensors only, so
 * that standard v2 clients work here as against Triton. Errors on these
 * paths are the spec's `{"error": "<message>"}` (the app's error handler
 * asks isV2Path), not this server's `{error: {code, message}}`.
 */
export function v2Routes(ctx: ServeContext) {
  /** The model, and when the path names a version, that it is the loaded one (one version per model here). */
  const model = (c: Context): LoadedModel => {
    const name = c.req.param('name') ?? '';
    const m = ctx.registry.get(name);
    if (!m) throw new HttpError('unknown_model', `no model named '${name.slice(0, 100)}'`);
    const version = c.req.param('version');
    if (version !== undefined && version !== m.version)
      throw new HttpError('unknown_model', `model '${m.name}' has version ${m.version} only, not '${version.slice(0, 40)}'`);
    return m;
  };
  /** An explanation graph by its v2 name (`cnn-explain`), with the same version check. */
  const explainer = (c: Context): LoadedExplainer | undefined => {
    const e = ctx.registry.explainer(c.req.param('name') ?? '');
    const version = c.req.param('version');
    if (e && version !== undefined && version !== e.version)
      throw new HttpError('unknown_model', `model '${e.name}' has version ${e.version} only, not '${version.slice(0, 40)}'`);
    return e;
  };
  const metadata = (c: Context) => {
    const e = explainer(c);
    if (e) return c.json(explainerMetadata(e));
    const m = model(c);
    return c.json({
      name: m.name,
      versions: [m.version],
      platform: V2_PLATFORM,
      inputs: [{ name: INPUT_CONTRACT.name, datatype: 'FP32', shape: [...INPUT_CONTRACT.onnxShape] }],
      outputs: [
        { name: OUTPUT_NAMES.logits, datatype: 'FP32', shape: [-1, NUM_CLASSES] },
        { name: OUTPUT_NAMES.probabilities, datatype: 'FP32', shape: [-1, NUM_CLASSES] },
      ],
    });
  };
  const ready = (c: Context) => c.json({ name: (explainer(c) ?? model(c)).name, ready: ctx.state.ready });
  const infer = async (c: Context) => {
    const e = explainer(c);
    if (e) return c.json(await inferExplainer(e, await readJson(c, ctx.limits.maxJsonBytes), ctx.limits.maxInferBatch));
    const m = model(c);
    const body = await readJson(c, ctx.limits.maxJsonBytes);
    const request = parseInferRequest(body, ctx.limits.maxInferBatch);
    const scores = await m.run(request.data, request.n);
    // JSON has no Infinity or NaN (they would go out as null): inputs that overflow the model are the client's to fix.
    if (!allFinite(scores.logits) || !allFinite(scores.probabilities)) {
      throw new HttpError('non_finite_output', 'the model produced non-finite outputs for these inputs; send values in [0, 1] (pixel / 255)');
    }
    const all = [
      { name: OUTPUT_NAMES.logits, datatype: 'FP32', shape: [request.n, NUM_CLASSES], data: Array.from(scores.logits) },
      { name: OUTPUT_NAMES.probabilities, datatype: 'FP32', shape: [request.n, NUM_CLASSES], data: Array.from(scores.probabilities) },
    ];
    const outputs = request.outputs ? all.filter((o) => request.outputs!.includes(o.name)) : all;
    return c.json({ model_name: m.name, model_version: m.version, ...(request.id !== undefined ? { id: request.id } : {}), outputs });
  };
  // The spec's YAML names the path `/v2/`, its prose `v2`: both answer.
  const server = (c: Context) => c.json({ name: 'fmnist-serve', version: '0.1.0', extensions: [] });
  return new Hono()
    .get('/v2', server)
    .get('/v2/', server)
    .get('/v2/health/live', (c) => c.json({ live: true }))
    .get('/v2/health/ready', (c) => {
      // A 503 with the spec's error object, as every failed /v2 request has (probes read the status).
      if (!ctx.state.ready || ctx.state.shuttingDown) throw new HttpError('not_ready', 'the server is not ready: models are loading or it is shutting down');
      return c.json({ ready: true });
    })
    .get('/v2/models/:name', metadata)
    .get('/v2/models/:name/versions/:version', metadata)
    .get('/v2/models/:name/ready', ready)
    .get('/v2/models/:name/versions/:version/ready', ready)
    .post('/v2/models/:name/infer', infer)
    .post('/v2/models/:name/versions/:version/infer', infer);
}

interface InferRequest {
  id?: string;
  n: number;
  data: Float32Array;
  outputs?: string[];
}

/** Validates a v2 request against the contract: one FP32 input `input` of shape [N,1,28,28]. */
function parseInferRequest(body: unknown, maxBatch: number): InferRequest {
  if (!isObject(body)) throw new HttpError('bad_request', 'the body must be a JSON object with an `inputs` array');
  const envelope = parseEnvelope(body);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) throw bad(`\`inputs\` must hold exactly one tensor named '${INPUT_CONTRACT.name}'`);
  const t: unknown = inputs[0];
  if (!isObject(t)) throw bad('each input must be an object with name, shape, datatype and data');
  if (t.name !== INPUT_CONTRACT.name) throw bad(`unknown input '${String(t.name).slice(0, 50)}'; the model's input is '${INPUT_CONTRACT.name}'`);
  const { n, data } = parseImageTensor(t, maxBatch);
  const req: InferRequest = { n, data, ...envelope };
  const outputs = parseOutputs(body, [OUTPUT_NAMES.logits, OUTPUT_NAMES.probabilities]);
  if (outputs) req.outputs = outputs;
  return req;
}
