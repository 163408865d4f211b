import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { oneDnn, type OneDnnConv } from '../native/onednn.ts';
import { convInfoOf, type ConvGradAttrs } from './conv-geometry.ts';
import type { WasmBackend, WasmKernelReplacement } from './wasm-backend.ts';

/**
 * Conv2D, FusedConv2D and their two gradients on oneDNN (native/onednn.ts),
 * straight on the wasm heap, where the addon is built; the kernels they wrap
 * (tfjs-backend-wasm's, or this folder's faster gradients) otherwise, and for
 * what oneDNN is not asked to do here: dilations, NCHW, activations other
 * than ReLU, a bias that is not one value per output channel.
 */
type ConvAttrs = ConvGradAttrs & { dilations?: number | [number, number] };
type FusedAttrs = ConvAttrs & { activation?: string };

function geometry(info: backend_util.Conv2DInfo): number[] {
  const { top, left, bottom, right } = info.padInfo;
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    top,
    left,
    bottom,
    right,
    info.outHeight,
    info.outWidth,
  ];
}

const undilated = (d: ConvAttrs['dilations']) => d === undefined || d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1);
const channelsLast = (a: ConvGradAttrs) => a.dataFormat !== 'NCHW';
/** oneDNN refuses empty tensors; tfjs allows them (a batch of 0). */
const nonEmpty = (info: backend_util.Conv2DInfo) =>
  info.batchSize > 0 && info.inChannels > 0 && info.outChannels > 0 && info.outHeight > 0 && info.outWidth > 0;

/** The addon when it is loaded, else undefined (the caller falls back). */
function addon(): OneDnnConv | undefined {
  const s = oneDnn();
  return s.loaded ? s.addon : undefined;
}

function forward(original: KernelFunc, fused: boolean): KernelFunc {
  return (args) => {
    const native = addon();
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as unknown as FusedAttrs;
    const activation = a.activation ?? 'linear';
    const supported =
      native &&
      x!.dtype === 'float32' &&
      channelsLast(a) &&
      undilated(a.dilations) &&
      (activation === 'linear' || activation === 'relu') &&
      !preluActivationWeights &&
      (!bias || (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]));
    if (!supported) return original(args);
    const b = args.backend as unknown as WasmBackend;
    const info = convInfoOf(x!.shape, filter!.shape, a);
    if (!nonEmpty(info)) return original(args);
    // The output first: allocating may grow the wasm memory, which detaches views taken before.
    const out = b.makeOutput(info.outShape, 'float32');
    native.conv(
      0,
      b.typedArrayFromHeap(x!),
      b.typedArrayFromHeap(filter!),
      b.typedArrayFromHeap(out),
      geometry(info),
      fused && bias ? b.typedArrayFromHeap(bias) : null,
      fused && activation === 'relu',
    );
    return out;
  };
}

/**
 * A gradient pass: dx (mode 1, from dy and the filter) or dfilter (mode 2, from x and dy). `shapes` names,
 * from the kernel's inputs and attributes, its two operands, the conv's input and filter shapes and the output's.
 */
function gradient(
  mode: 1 | 2,
  shapes: (
    inputs: Record<string, TensorInfo>,
    attrs: GradientAttrs,
  ) => { a: TensorInfo; b: TensorInfo; xShape: number[]; filterShape: number[]; outShape: number[] },
): (original: KernelFunc) => KernelFunc {
  return (original) => (args) => {
    const native = addon();
    const attrs = args.attrs as unknown as GradientAttrs;
    if (!native || !channelsLast(attrs)) return original(args);
    const { a, b: operand, xShape, filterShape, outShape } = shapes(args.inputs as Record<string, TensorInfo>, attrs);
    const info = convInfoOf(xShape, filterShape, attrs);
    if (!nonEmpty(info)) return original(args);
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(outShape, 'float32');
    native.conv(mode, b.typedArrayFromHeap(a), b.typedArrayFromHeap(operand), b.typedArrayFromHeap(out), geometry(info));
    return out;
  };
}

type GradientAttrs = ConvGradAttrs & { inputShape?: number[]; filterShape?: number[] };

const backpropInput = gradient(1, ({ dy, filter }, { inputShape }) => ({
  a: dy!,
  b: filter!,
  xShape: inputShape!,
  filterShape: filter!.shape,
  outShape: inputShape!,
}));

const backpropFilter = gradient(2, ({ x, dy }, { filterShape }) => ({ a: x!, b: dy!, xShape: x!.shape, filterShape: filterShape!, outShape: filterShape! }));

export const oneDnnConv2DReplacement: WasmKernelReplacement = { kernelName: 'Conv2D', wrap: (original) => forward(original, false) };
export const oneDnnFusedConv2DReplacement: WasmKernelReplacement = { kernelName: 'FusedConv2D', wrap: (original) => forward(original, true) };
export const oneDnnConv2DBackpropInputReplacement: WasmKernelReplacement = { kernelName: 'Conv2DBackpropInput', wrap: backpropInput };
export const oneDnnConv2DBackpropFilterReplacement: WasmKernelReplacement = { kernelName: 'Conv2DBackpropFilter', wrap: backpropFilter };
