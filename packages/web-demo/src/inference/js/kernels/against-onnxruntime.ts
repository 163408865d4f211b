// Test support for the kernels' tests: each kernel against onnxruntime-node (the reference backend) on a one-node graph.
import { createRng, openSessionRunner } from '@fmnist/core';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { KERNELS } from './registry.ts';
import type { Tensor } from '../tensor.ts';

const { onnx } = onnxProto;

type Attr = number | number[] | string | { float: number };

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

/** Seeded values in [-1, 1), or small integers for int8 inputs. */
export function randomTensor(dims: number[], seed: number, int8 = false): Tensor {
  const rng = createRng(seed);
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (int8 ? Math.floor(rng() * 255) - 127 : rng() * 2 - 1));
  return { dims, data };
}

/**
 * Runs `op` on `inputs` with onnxruntime-node and with its JavaScript kernel
 * and expects the same shape and values within `tolerance`. Inputs named in
 * `int8` are given to onnxruntime as int8 initializers (DequantizeLinear's
 * quantized values and zero points).
 */
export async function expectMatchesOnnxruntime(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attr> = {},
  { tolerance = 1e-5, int8 = [] as number[], opset = 13 } = {},
): Promise<void> {
  const names = inputs.map((t, i) => (t ? `x${i}` : ''));
  const feeds = inputs.flatMap((t, i) => (t && !int8.includes(i) ? [[names[i]!, t] as const] : []));
  const initializer = inputs.flatMap((t, i) =>
    t && int8.includes(i)
      ? [{ name: names[i], dataType: onnx.TensorProto.DataType.INT8, dims: [...t.dims], rawData: Uint8Array.from(Int8Array.from(t.data)) }]
      : [],
  );
  const expected = KERNELS[op]!(inputs, new Map(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? v.float : v])));
  const info = (name: string, dims: readonly number[]) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const model = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: op,
        node: [{ opType: op, input: names, output: ['y'], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) }],
        initializer,
        input: feeds.map(([n, t]) => info(n, t.dims)),
        output: [info('y', expected.dims)],
      },
    }),
  ).finish();
  const session = await openSessionRunner(ort, model, { executionProviders: ['cpu'] });
  try {
    const out = await session.run(Object.fromEntries(feeds.map(([n, t]) => [n, { type: 'float32', data: t.data, dims: t.dims }])));
    const y = out.y!;
    expect([...expected.dims]).toEqual([...y.dims]);
    let worst = 0;
    for (let i = 0; i < y.data.length; i++) worst = Math.max(worst, Math.abs(Number(y.data[i]) - expected.data[i]!));
    expect(worst).toBeLessThanOrEqual(tolerance);
  } finally {
    await session.release();
  }
}
