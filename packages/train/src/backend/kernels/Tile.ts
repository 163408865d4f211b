import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend, WasmKernelReplacement } from './wasm-backend.ts';

/**
 * Tile that only repeats a tensor along leading axes of size 1 (how
 * batch-norm gradients broadcast per-channel values): the output is the
 * input repeated end to end, so it is filled by doubling block copies.
 */
function makeTile(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as { reps: number[] };
    const rank = x.shape.length;
    const lastRepeated = reps.reduce((at, r, i) => (r !== 1 ? i : at), -1);
    const firstLarger = x.shape.findIndex((d) => d !== 1);
    // Every repeated axis must come before every axis of size > 1.
    if (x.dtype !== 'float32' || reps.length !== rank || (firstLarger >= 0 && lastRepeated >= firstLarger)) return original(args);
    const b = backend as unknown as WasmBackend;
    const out = b.makeOutput(
      x.shape.map((d, i) => d * reps[i]!),
      'float32',
    );
    const dst = b.typedArrayFromHeap(out);
    const src = b.typedArrayFromHeap(x);
    dst.set(src);
    for (let filled = src.length; filled < dst.length; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
    return out;
  };
}

export const tileReplacement: WasmKernelReplacement = { kernelName: 'Tile', wrap: makeTile };
