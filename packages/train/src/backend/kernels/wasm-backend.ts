import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

export const BACKEND = 'wasm';

/** The slice of BackendWasm these kernels use (its class is not exported with types we can import). */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

/**
 * A replacement for one wasm kernel: `wrap` receives the stock kernel (or,
 * where the backend has none, one that throws) to fall back on.
 */
export interface WasmKernelReplacement {
  kernelName: string;
  wrap(original: KernelFunc): KernelFunc;
}

export function kernel(name: string): KernelFunc {
  const k = getKernel(name, BACKEND);
  if (!k) throw new Error(`the wasm backend has no ${name} kernel; is @tensorflow/tfjs-backend-wasm imported?`);
  return k.kernelFunc;
}

export function call(fn: KernelFunc, inputs: Record<string, TensorInfo>, backend: WasmBackend, attrs: object): TensorInfo {
  return fn({ inputs, backend: backend as never, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

export function dispose(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export function transpose(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return call(kernel('Transpose'), { x }, backend, { perm });
}
