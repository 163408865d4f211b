import { INPUT_CONTRACT } from '@fmnist/core';
import { HttpError } from './errors.ts';

/** Parsing and checking of Open Inference Protocol JSON tensors, shared by the classifier and explanation models. */

/**
 * The platform the v2 metadata reports: the spec's name for an ONNX model run
 * by ONNX Runtime (its list of allowed names). Triton's config.pbtxt, written
 * by export, keeps Triton's own `onnxruntime_onnx`.
 */
export const V2_PLATFORM = 'onnx_onnxv1';

export const bad = (message: string) => new HttpError('bad_tensor', message);

/**
 * What every v2 request must get right besides its tensors: a string `id`
 * (echoed in the answer), and `parameters` (on the request, its inputs and
 * outputs) mapping names to strings, numbers or booleans, as the spec's
 * $parameters says. Nothing here reads a parameter: none is defined.
 */
export function parseEnvelope(body: Record<string, unknown>): { id?: string } {
  checkParameters(body.parameters, 'parameters');
  for (const [key, list] of [
    ['inputs', body.inputs],
    ['outputs', body.outputs],
  ] as const) {
    if (Array.isArray(list)) list.forEach((t: unknown, i) => isObject(t) && checkParameters(t.parameters, `${key}[${i}].parameters`));
  }
  if (body.id === undefined) return {};
  if (typeof body.id !== 'string') throw new HttpError('bad_request', `\`id\` must be a string, got ${JSON.stringify(body.id)?.slice(0, 40)}`);
  return { id: body.id };
}

function checkParameters(p: unknown, where: string): void {
  if (p === undefined) return;
  if (!isObject(p)) throw new HttpError('bad_request', `\`${where}\` must be an object of name: string | number | boolean`);
  for (const [name, v] of Object.entries(p)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new HttpError('bad_request', `\`${where}.${name.slice(0, 50)}\` must be a string, number or boolean, got ${JSON.stringify(v)?.slice(0, 40)}`);
    }
  }
}

/** The image tensor: FP32 [N, 1, 28, 28], 1 <= N <= maxBatch. */
export function parseImageTensor(t: Record<string, unknown>, maxBatch: number): { n: number; data: Float32Array } {
  if (t.datatype !== 'FP32') throw bad(`datatype of '${INPUT_CONTRACT.name}' must be FP32, got '${String(t.datatype).slice(0, 20)}'`);
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d)) || shape[1] !== 1 || shape[2] !== 28 || shape[3] !== 28) {
    throw bad(`shape must be [N, 1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 60)}`);
  }
  const n = shape[0] as number;
  if (n < 1 || n > maxBatch) throw bad(`batch size N must be 1..${maxBatch}, got ${n}`);
  return { n, data: toFloat32(elements(t.data, shape as number[])) };
}

/** The request's `outputs` (names only), each one of `known`; undefined = all. */
export function parseOutputs(body: Record<string, unknown>, known: readonly string[]): string[] | undefined {
  if (body.outputs === undefined) return undefined;
  if (!Array.isArray(body.outputs)) throw new HttpError('bad_request', '`outputs` must be an array');
  return body.outputs.map((o: unknown) => {
    const name = isObject(o) ? o.name : undefined;
    if (typeof name !== 'string' || !known.includes(name)) throw bad(`unknown output '${String(name).slice(0, 50)}'; outputs are ${known.join(', ')}`);
    return name;
  });
}

/**
 * A tensor's elements in row-major order. The spec allows them flat or in
 * the tensor's natural nesting; anything in between (ragged rows, a nesting
 * that is not the shape's) is refused rather than guessed at.
 */
export function elements(data: unknown, shape: readonly number[]): unknown[] {
  if (!Array.isArray(data)) throw bad('`data` must be an array');
  const expected = shape.reduce((a, b) => a * b, 1);
  if (!data.some(Array.isArray)) {
    if (data.length !== expected) throw bad(`\`data\` holds ${data.length} values; shape ${JSON.stringify(shape)} needs ${expected}`);
    return data;
  }
  const out: unknown[] = [];
  const walk = (v: unknown[], depth: number, at: string): void => {
    if (v.length !== shape[depth])
      throw bad(
        `\`data${at}\` has ${v.length} entries where shape ${JSON.stringify(shape)} needs ${shape[depth]}: send the data flat or nested exactly as the shape`,
      );
    const leaf = depth === shape.length - 1;
    v.forEach((x, i) => {
      if (Array.isArray(x) === leaf)
        throw bad(
          `\`data${at}[${i}]\` is ${leaf ? 'an array' : 'a value'} where shape ${JSON.stringify(shape)} needs ${leaf ? 'a value' : 'an array'}: send the data flat or nested exactly as the shape`,
        );
      if (leaf) out.push(x);
      else walk(x as unknown[], depth + 1, `${at}[${i}]`);
    });
  };
  walk(data, 0, '');
  return out;
}

function toFloat32(values: unknown[]): Float32Array {
  const out = new Float32Array(values.length);
  values.forEach((v, i) => {
    // Math.fround: 1e39 is a finite double but Infinity as FP32.
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw bad('`data` must hold only numbers that are finite as FP32 (|x| < 3.4e38)');
    out[i] = v;
  });
  return out;
}

export function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
