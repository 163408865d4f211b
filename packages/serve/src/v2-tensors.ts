import { IMAGE_PIXELS, INPUT_CONTRACT } from '@fmnist/core';
import { HttpError } from './errors.ts';

/** Parsing and checking of Open Inference Protocol JSON tensors, shared by the classifier and explanation models. */

/** The platform name the v2 metadata reports (Triton's name for ONNX Runtime models). */
export const V2_PLATFORM = 'onnxruntime_onnx';

export const bad = (message: string) => new HttpError('bad_tensor', message);

/** The image tensor: FP32 [N, 1, 28, 28], 1 <= N <= maxBatch. */
export function parseImageTensor(t: Record<string, unknown>, maxBatch: number): { n: number; data: Float32Array } {
  if (t.datatype !== 'FP32') throw bad(`datatype of '${INPUT_CONTRACT.name}' must be FP32, got '${String(t.datatype).slice(0, 20)}'`);
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d)) || shape[1] !== 1 || shape[2] !== 28 || shape[3] !== 28) {
    throw bad(`shape must be [N, 1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 60)}`);
  }
  const n = shape[0] as number;
  if (n < 1 || n > maxBatch) throw bad(`batch size N must be 1..${maxBatch}, got ${n}`);
  return { n, data: flatten(t.data, n * IMAGE_PIXELS) };
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

/** Accepts the spec's flat row-major data or nested arrays; every element must be a finite number. */
export function flatten(data: unknown, expected: number): Float32Array {
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

export function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
