import { TFJS_ARITHMETIC, type TfjsBackendArithmetic } from '../convert/types.ts';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, MaxPoolGrad, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { withFastFilterGradient } from './filter-grad-kernel.ts';

/**
 * The tfjs backend the reference explanations run on.
 *
 * 'cpu' (default): tfjs's pure-JS kernels throughout. About 0.4 s per CNN
 * image on this machine, mostly FusedConv2D and MaxPoolGrad.
 *
 * 'wasm': tfjs's wasm kernels (about 12x faster), with two kernels bridged:
 *  - MaxPoolGrad runs the cpu backend's own kernel on a copy of its inputs.
 *    The wasm kernel routes the gradient of a tied window (an all-zero
 *    window after a ReLU) to another element than the cpu kernel (and
 *    onnxruntime) do; the gradient at a ReLU output that is 0 is masked on
 *    the way to the input, but Grad-CAM averages the gradient at the ReLU
 *    output itself, so the tie rule changes its channel weights.
 *  - Conv2DBackpropFilter, which the wasm backend lacks, returns zeros: tfjs's
 *    fused-conv gradient computes the filter gradient even under tf.grad
 *    with respect to the input alone and then discards it (the kernel is not
 *    an input of the differentiated function), so no explanation sees it.
 */
/** The reference backends are those whose arithmetic the export can also reproduce (--exact-first-layer). */
export const REFERENCE_BACKENDS = TFJS_ARITHMETIC;
export type ReferenceBackend = TfjsBackendArithmetic;

/** The slice of the wasm backend used here (its class is not exported with types). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
  data: { get(id: object): { values: unknown } };
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}

const zeroFilterGradient = (({ backend, attrs }: { backend: WasmBackend; attrs: { filterShape: number[] } }) => {
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}) as unknown as KernelFunc;

const cpuMaxPoolGrad = (({ inputs, backend, attrs }: { inputs: Record<'dy' | 'input' | 'output', TensorInfo>; backend: WasmBackend; attrs: NamedAttrMap }) => {
  const cpu = tf.findBackend('cpu') as unknown as CpuBackend;
  const stock = tf.getKernel(MaxPoolGrad, 'cpu')!.kernelFunc;
  const copies = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, cpu.makeTensorInfo(t.shape, 'float32', backend.typedArrayFromHeap(t).slice())]));
  const dx = stock({ inputs: copies, backend: cpu as never, attrs }) as TensorInfo;
  const out = backend.makeOutput(dx.shape, 'float32');
  backend.typedArrayFromHeap(out).set(cpu.data.get(dx.dataId).values as Float32Array);
  for (const t of [...Object.values(copies), dx]) cpu.disposeIntermediateTensorInfo(t);
  return out;
}) as unknown as KernelFunc;

/** Switches tfjs to `backend` (loading the wasm one on first use). */
export async function useReferenceBackend(backend: ReferenceBackend): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  await tf.ready();
}

/** Runs `fn` with the reference kernels of the current backend registered (see above), restoring the stock ones afterwards. */
export function withReferenceKernels<T>(fn: () => T): T {
  if (tf.getBackend() === 'cpu') return withFastFilterGradient(fn);
  if (tf.getBackend() !== 'wasm') return fn();
  const replaced: KernelConfig[] = [
    { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: zeroFilterGradient },
    { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: cpuMaxPoolGrad },
  ];
  const stock = replaced.map((k) => tf.getKernel(k.kernelName, 'wasm'));
  replaced.forEach((k, i) => {
    if (stock[i]) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  });
  try {
    return fn();
  } finally {
    replaced.forEach((k, i) => {
      tf.unregisterKernel(k.kernelName, 'wasm');
      if (stock[i]) tf.registerKernel(stock[i]!);
    });
  }
}
