/**
 * Fast training kernels for @tensorflow/tfjs-backend-wasm, one per file in
 * this folder (as tfjs-backend-wasm keeps its own), each tested beside it
 * against the tfjs cpu backend.
 *
 * The wasm backend has no Conv2DBackpropFilter at all, and its
 * Conv2DBackpropInput, MaxPoolGrad and transposed BatchMatMul run scalar
 * loops (~2 GFLOP/s against ~20 GFLOP/s for XNNPACK's forward paths on this
 * CPU). Every gradient here is rewritten onto a fast path:
 * - BatchMatMul with transposeA/B: transpose physically (cheap copy), then
 *   the untransposed XNNPACK product.
 * - Conv2DBackpropFilter: a forward convolution of the transposed input
 *   with the transposed output gradient as filter, dilated by the stride.
 * - Conv2DBackpropInput: a forward convolution of the (stride-dilated,
 *   padded) output gradient with the flipped, channel-swapped filter.
 * - MaxPoolGrad: one pass over the pooled windows, straight on the wasm heap.
 * - Where the oneDNN addon is built (native/), the convolutions and both
 *   their gradients run on it instead (OneDnnConv.ts).
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { batchMatMulReplacement } from './BatchMatMul.ts';
import { batchNormTrainingGradReplacement } from './BatchNormTrainingGrad.ts';
import { castReplacement } from './Cast.ts';
import { conv2DBackpropFilterReplacement } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputReplacement } from './Conv2DBackpropInput.ts';
import { identityReplacement } from './Identity.ts';
import { maxPoolGradReplacement } from './MaxPoolGrad.ts';
import { meanReplacement } from './Mean.ts';
import {
  oneDnnConv2DBackpropFilterReplacement,
  oneDnnConv2DBackpropInputReplacement,
  oneDnnConv2DReplacement,
  oneDnnFusedConv2DReplacement,
} from './OneDnnConv.ts';
import { sumReplacement } from './Sum.ts';
import { tileReplacement } from './Tile.ts';
import { BACKEND, type WasmKernelReplacement } from './wasm-backend.ts';

/** In registration order (each replacement wraps whatever is registered when it runs). */
const REPLACEMENTS: readonly WasmKernelReplacement[] = [
  batchMatMulReplacement,
  conv2DBackpropFilterReplacement,
  conv2DBackpropInputReplacement,
  maxPoolGradReplacement,
  sumReplacement,
  meanReplacement,
  tileReplacement,
  identityReplacement,
  castReplacement,
  batchNormTrainingGradReplacement,
  // Last, so that where oneDNN is not built (or not asked to) they fall back on the replacements above.
  oneDnnConv2DReplacement,
  oneDnnFusedConv2DReplacement,
  oneDnnConv2DBackpropInputReplacement,
  oneDnnConv2DBackpropFilterReplacement,
];

let registered = false;

/** Replaces the wasm backend's slow or missing gradient kernels. Idempotent. */
export function registerFastWasmKernels(): void {
  if (registered) return;
  for (const { kernelName, wrap } of REPLACEMENTS) {
    const existing = getKernel(kernelName, BACKEND);
    if (existing) unregisterKernel(kernelName, BACKEND);
    const config: KernelConfig = { kernelName, backendName: BACKEND, kernelFunc: wrap(existing?.kernelFunc ?? missing(kernelName)) };
    registerKernel(config);
  }
  registered = true;
}

function missing(name: string): KernelFunc {
  return () => {
    throw new Error(`${name} has no wasm fallback`);
  };
}
