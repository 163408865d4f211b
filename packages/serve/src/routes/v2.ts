import { Hono, type Context } from 'hono';
import { IMAGE_PIXELS, INPUT_CONTRACT, NUM_CLASSES, OUTPUT_NAMES } from '@fmnist/core';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { LoadedModel } from '../registry.ts';
import { readJson } from '../upload.ts';

/**
 * The Open Inference Protocol (KServe v2) REST API, JSON tensors only, so
 * that standard v2 clients work here as against Triton. Errors keep this
 * server's `{error: {code, message}}` shape; v2 clients read `error`.
 */
export function v2Routes(ctx: ServeContext) {
  /** The model, and when the path names a version, that it is the loaded one (one version per model here). */
  const model = (c: Context): LoadedModel => {
    const name = c.req.param('name') ?? '';
    const m = ctx.registry.get(name);
    if (!m) throw new HttpError('unknown_model', `no model named '${name.slice(0, 100)}'`);
    const version = c.req.param('version');
    if (version !== undefined && version !== m.version) throw new HttpError('unknown_model', `model '${m.name}' has version ${m.version} only, not '${version.slice(0, 40)}'`);
    return m;
  };
  const metadata = (c: Context) => {
    const m = model(c);
    return c.json({
      name: m.name,
      versions: [m.version],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: INPUT_CONTRACT.name, datatype: 'FP32', shape: [...INPUT_CONTRACT.onnxShape] }],
      outputs: [
        { name: OUTPUT_NAMES.logits, datatype: 'FP32', shape: [-1, NUM_CLASSES] },
        { name: OUTPUT_NAMES.probabilities, datatype: 'FP32', shape: [-1, NUM_CLASSES] },
      ],
    });
  };
  const ready = (c: Context) => c.json({ name: model(c).name, ready: ctx.state.ready });
  const infer = async (c: Context) => {
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
  return new Hono()
    .get('/v2', (c) => c.json({ name: 'fmnist-serve', version: '0.1.0', extensions: [] }))
    .get('/v2/health/live', (c) => c.json({ live: true }))
    .get('/v2/health/ready', (c) => (ctx.state.ready && !ctx.state.shuttingDown ? c.json({ ready: true }) : c.json({ ready: false }, 503)))
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

const bad = (message: string) => new HttpError('bad_tensor', message);

/** Validates a v2 request against the contract: one FP32 input `input` of shape [N,1,28,28]. */
export function parseInferRequest(body: unknown, maxBatch: number): InferRequest {
  if (!isObject(body)) throw new HttpError('bad_request', 'the body must be a JSON object with an `inputs` array');
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) throw bad(`\`inputs\` must hold exactly one tensor named '${INPUT_CONTRACT.name}'`);
  const t: unknown = inputs[0];
  if (!isObject(t)) throw bad('each input must be an object with name, shape, datatype and data');
  if (t.name !== INPUT_CONTRACT.name) throw bad(`unknown input '${String(t.name).slice(0, 50)}'; the model's input is '${INPUT_CONTRACT.name}'`);
  if (t.datatype !== 'FP32') throw bad(`datatype must be FP32, got '${String(t.datatype).slice(0, 20)}'`);
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d)) || shape[1] !== 1 || shape[2] !== 28 || shape[3] !== 28) {
    throw bad(`shape must be [N, 1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 60)}`);
  }
  const n = shape[0] as number;
  if (n < 1 || n > maxBatch) throw bad(`batch size N must be 1..${maxBatch}, got ${n}`);
  const flat = flatten(t.data, n * IMAGE_PIXELS);
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw new HttpError('bad_request', '`outputs` must be an array');
    outputs = body.outputs.map((o: unknown) => {
      const name = isObject(o) ? o.name : undefined;
      if (name !== OUTPUT_NAMES.logits && name !== OUTPUT_NAMES.probabilities) throw bad(`unknown output '${String(name).slice(0, 50)}'; outputs are logits and probabilities`);
      return name;
    });
  }
  const req: InferRequest = { n, data: flat };
  if (outputs) req.outputs = outputs;
  if (typeof body.id === 'string') req.id = body.id;
  return req;
}

/** Accepts the spec's flat row-major data or nested arrays; every element must be a finite number. */
function flatten(data: unknown, expected: number): Float32Array {
  if (!Array.isArray(data)) throw bad('`data` must be an array of numbers');
  const out = new Float32Array(expected);
  let i = 0;
  const walk = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth > 4) throw bad('`data` is nested deeper than the shape');
      for (const x of v) walk(x, depth + 1);
      return;
    }
    // Math.fround: 1e39 is a finite double but Infinity as FP32.
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw bad('`data` must hold only numbers that are finite as FP32 (|x| < 3.4e38)');
    if (i >= expected) throw bad(`\`data\` holds more than the ${expected} values the shape needs`);
    out[i++] = v;
  };
  walk(data, 0);
  if (i !== expected) throw bad(`\`data\` holds ${i} values; shape needs ${expected}`);
  return out;
}

function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
