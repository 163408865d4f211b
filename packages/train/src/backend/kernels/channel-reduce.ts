import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend.ts';

/**
 * Sum or mean over every axis but the last (bias gradients, batch-norm
 * statistics): one streaming pass with float64 accumulators, where the wasm
 * kernel would first transpose the whole tensor. Eight rows are added
 * before each accumulator update, which makes the pass about 3x faster.
 * (An XNNPACK product with a ones vector was slower: it packs the big
 * matrix as weights on every call.)
 */
export function makeChannelReduce(mean: boolean): (original: KernelFunc) => KernelFunc {
  return (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = (Array.isArray(axis) ? axis : [axis]).map((ax) => (ax < 0 ? ax + rank : ax)).sort((p, q) => p - q);
    const leading = rank > 1 && axes.length === rank - 1 && axes.every((ax, i) => ax === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const b = backend as unknown as WasmBackend;
    const c = x.shape[rank - 1]!;
    const out = b.makeOutput(keepDims ? [...Array(rank - 1).fill(1), c] : [c], 'float32');
    const acc = channelSums(b.typedArrayFromHeap(x), c);
    const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
    if (mean) for (let ch = 0; ch < c; ch++) acc[ch]! /= rows;
    b.typedArrayFromHeap(out).set(acc);
    return out;
  };
}

function channelSums(src: Float32Array, c: number): Float64Array {
  const acc = new Float64Array(c);
  const step = 8 * c;
  const end = src.length - (src.length % step);
  let i = 0;
  for (; i < end; i += step)
    for (let ch = 0; ch < c; ch++) {
      const j = i + ch;
      acc[ch]! += src[j]! + src[j + c]! + (src[j + 2 * c]! + src[j + 3 * c]!) + (src[j + 4 * c]! + src[j + 5 * c]! + (src[j + 6 * c]! + src[j + 7 * c]!));
    }
  for (; i < src.length; i += c) for (let ch = 0; ch < c; ch++) acc[ch]! += src[i + ch]!;
  return acc;
}
