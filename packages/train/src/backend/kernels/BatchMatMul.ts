import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { dispose, transpose, type WasmBackend, type WasmKernelReplacement } from './wasm-backend.ts';

/** BatchMatMul without transposes, so XNNPACK's fast path always runs. */
function makeBatchMatMul(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmBackend;
    let { a, b: bm } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const temps: TensorInfo[] = [];
    const swapLast = (t: TensorInfo) => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
      const out = transpose(b, t, perm);
      temps.push(out);
      return out;
    };
    if (transposeA) a = swapLast(a);
    if (transposeB) bm = swapLast(bm);
    const out = original({ inputs: { a, b: bm }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    dispose(b, ...temps);
    return out;
  };
}

export const batchMatMulReplacement: WasmKernelReplacement = { kernelName: 'BatchMatMul', wrap: makeBatchMatMul };
