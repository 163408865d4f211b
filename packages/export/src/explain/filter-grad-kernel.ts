import * as tf from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/**
 * tfjs differentiates a fused conv2d (what tfjs-layers' Conv2D runs when its
 * activation is linear, as in the batch-norm CNN) with a custom gradient that
 * always computes the filter gradient too, even under `tf.grad` with respect
 * to the input alone, where it is discarded. The cpu backend's
 * Conv2DBackpropFilter reads every element through TensorBuffer.get: 3.9 s
 * per image for the CNN's second layer, which would make the 10,000-image
 * reference take days. While the reference runs, this typed-array kernel
 * (same definition, dW[kh,kw,ci,co] = Σ x[n, oh·s+kh−top, ow·s+kw−left, ci] · dy[n,oh,ow,co])
 * stands in for it; every gradient that reaches an explanation still comes
 * from tfjs's own kernels. A test holds it equal to the stock kernel.
 */
type Backend = { data: { get(id: object): { values: unknown } }; makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo };

const fastConv2DBackpropFilter = ((args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: Backend; attrs: Conv2DBackpropFilterAttrs }) => {
  const {
    inputs: { x, dy },
    backend,
    attrs,
  } = args;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('fast Conv2DBackpropFilter handles channelsLast only');
  const xv = backend.data.get(x.dataId).values as Float32Array;
  const dyv = backend.data.get(dy.dataId).values as Float32Array;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const dw = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOffset = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wOffset = (kh * filterWidth + kw) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xValue = xv[xOffset + ci]!;
              if (xValue === 0) continue;
              const row = wOffset + ci * outChannels;
              for (let co = 0; co < outChannels; co++) dw[row + co]! += xValue * dyv[dyOffset + co]!;
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, 'float32', Float32Array.from(dw));
}) as unknown as KernelFunc;

/** Runs `fn` with the fast filter-gradient kernel on the cpu backend, restoring the stock kernel afterwards. */
export function withFastFilterGradient<T>(fn: () => T): T {
  const stock = tf.getKernel(Conv2DBackpropFilter, 'cpu');
  if (!stock) return fn();
  tf.unregisterKernel(Conv2DBackpropFilter, 'cpu');
  tf.registerKernel({ kernelName: Conv2DBackpropFilter, backendName: 'cpu', kernelFunc: fastConv2DBackpropFilter } satisfies KernelConfig);
  try {
    return fn();
  } finally {
    tf.unregisterKernel(Conv2DBackpropFilter, 'cpu');
    tf.registerKernel(stock);
  }
}
