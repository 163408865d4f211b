import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec } from '../../model/spec.ts';
import type { DenseOp, EmitContext, TensorState } from '../types.ts';
import { applyActivation } from './activation.ts';
import { readActivation, readBias, requireWeight } from './config.ts';

export function parseDense(layer: LayerSpec): DenseOp {
  return { kind: 'dense', layer, kernel: requireWeight(layer, 'kernel'), bias: readBias(layer), activation: readActivation(layer) };
}

/** Dense -> Gemm (kernel [in, out] used as-is, transB = 0) plus its fused activation. */
export function emitDense(op: DenseOp, ctx: EmitContext, x: TensorState): TensorState {
  const { layer } = op;
  if (x.layout !== 'flat') {
    throw new UnsupportedLayerError(
      layer.name,
      layer.className,
      `input rank 4 ([${x.shape}])`,
      'Dense is supported on flat [N, features] inputs; add a Flatten',
    );
  }
  const [inFeatures, units] = op.kernel.shape as [number, number];
  if (inFeatures !== x.shape[0])
    throw new UnsupportedLayerError(layer.name, layer.className, `kernel shape [${op.kernel.shape}]`, `input has ${x.shape[0]} features`);
  const kernel = x.chwFrom ? permuteRowsHwcToChw(op.kernel.data, units, x.chwFrom) : op.kernel.data;
  const inputs = [x.name, ctx.graph.addWeight(`${layer.name}/kernel`, kernel, [inFeatures, units], 1)];
  if (op.bias) inputs.push(ctx.graph.addInitializer(`${layer.name}/bias`, op.bias.data, [units]));
  const out = ctx.graph.uniqueName(`${layer.name}/out`);
  ctx.graph.addNode('Gemm', inputs, [out], {}, `${layer.name}/Gemm`);
  const y = applyActivation(ctx, { name: out, layout: 'flat', shape: [units] }, op.activation, layer.name);
  ctx.trace?.push({ kind: 'dense', layerName: layer.name, input: x, output: y, kernel: inputs[1]!, activation: op.activation });
  return y;
}

/**
 * tfjs flattens [H, W, C] so kernel row (h*W + w)*C + c belongs to pixel
 * (h, w, c); ONNX Flatten of NCHW puts that pixel at c*H*W + h*W + w.
 * Reordering the rows once here replaces a Transpose at every inference.
 */
export function permuteRowsHwcToChw(kernel: Float32Array, units: number, [h, w, c]: [number, number, number]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let ih = 0; ih < h; ih++) {
    for (let iw = 0; iw < w; iw++) {
      for (let ic = 0; ic < c; ic++) {
        const from = ((ih * w + iw) * c + ic) * units;
        const to = (ic * h * w + ih * w + iw) * units;
        out.set(kernel.subarray(from, from + units), to);
      }
    }
  }
  return out;
}
