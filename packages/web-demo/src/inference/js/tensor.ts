/**
 * The JavaScript kernels' data: every value is float32 (integer initializers
 * such as int8 weights are widened once, exactly, when the model is read),
 * NCHW like the ONNX graphs. Kernels take their inputs in the node's order
 * (an optional input the node leaves out is undefined) and return one tensor.
 */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** A node's attributes: ONNX INT/FLOAT as numbers, INTS/FLOATS as arrays, STRING as text. */
export type Attributes = ReadonlyMap<string, number | readonly number[] | string>;

export type Kernel = (inputs: readonly (Tensor | undefined)[], attrs: Attributes) => Tensor;

/** The graph uses something these kernels do not cover: the caller falls back to onnxruntime. */
export class UnsupportedGraphError extends Error {
  override readonly name = 'UnsupportedGraphError';
}

export function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function input(inputs: readonly (Tensor | undefined)[], i: number, op: string): Tensor {
  const t = inputs[i];
  if (!t) throw new UnsupportedGraphError(`${op}: input ${i} is missing`);
  return t;
}

export function intAttr(attrs: Attributes, name: string, fallback: number): number {
  const v = attrs.get(name);
  return typeof v === 'number' ? v : fallback;
}

export function intsAttr(attrs: Attributes, name: string, fallback: readonly number[]): readonly number[] {
  const v = attrs.get(name);
  return Array.isArray(v) ? (v as readonly number[]) : fallback;
}
