import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend.ts';

/**
 * Identity, and Cast to the dtype a tensor already has, share the input's
 * data, as the cpu backend's Identity does. tfjs clones every tensor it saves
 * for the backward pass and casts ReLU's step mask to float32, and the wasm
 * kernels copy each one (about 3 ms of a CNN step). Tensors are immutable,
 * so sharing is safe; the backend's internal copies do not come through here.
 */
export function makeSharedCopy(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = (args.attrs ?? {}) as { dtype?: string };
    if (x.dtype === 'string' || (dtype !== undefined && dtype !== x.dtype)) return original(args);
    (args.backend as unknown as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
