import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec } from '../../model/spec.ts';
import type { EmitContext, MaxPooling2DOp, TensorState } from '../types.ts';
import { readPadding, readPair, requireChannelsLast } from './config.ts';
import { padsFor } from './padding.ts';

export function parseMaxPooling2D(layer: LayerSpec): MaxPooling2DOp {
  requireChannelsLast(layer);
  const poolSize = readPair(layer, 'poolSize', [2, 2]);
  // tfjs defaults strides to the pool size when unset.
  const strides = layer.config.strides == null ? poolSize : readPair(layer, 'strides');
  return { kind: 'maxPooling2d', layer, poolSize, strides, padding: readPadding(layer) };
}

/** MaxPooling2D -> MaxPool; ONNX MaxPool ignores padded cells, as TF's 'same' pooling does. */
export function emitMaxPooling2D(op: MaxPooling2DOp, ctx: EmitContext, x: TensorState): TensorState {
  const { layer } = op;
  if (x.layout !== 'spatial')
    throw new UnsupportedLayerError(layer.name, layer.className, `input rank 2 ([${x.shape}])`, 'MaxPooling2D needs an [N, H, W, C] input');
  const [h, w, c] = x.shape as [number, number, number];
  const rows = padsFor(op.padding, h, op.poolSize[0], op.strides[0]);
  const cols = padsFor(op.padding, w, op.poolSize[1], op.strides[1]);
  const out = ctx.graph.uniqueName(`${layer.name}/out`);
  // The backward pass routes each gradient to the window's argmax: for windows that do not tile the input, by ONNX
  // MaxPool's optional Indices output, which onnxruntime computes far more slowly than the pool alone.
  const pads = [rows.before, cols.before, rows.after, cols.after];
  const tiles =
    op.strides[0] === op.poolSize[0] && op.strides[1] === op.poolSize[1] && pads.every((p) => p === 0) && h % op.poolSize[0] === 0 && w % op.poolSize[1] === 0;
  const indices = ctx.trace && !tiles ? ctx.graph.uniqueName(`${layer.name}/indices`) : undefined;
  ctx.graph.addNode('MaxPool', [x.name], indices ? [out, indices] : [out], { kernel_shape: op.poolSize, strides: op.strides, pads }, `${layer.name}/MaxPool`);
  const y: TensorState = { name: out, layout: 'spatial', shape: [rows.out, cols.out, c] };
  ctx.trace?.push({ kind: 'maxPooling2d', layerName: layer.name, input: x, output: y, indices, kernelShape: op.poolSize, strides: op.strides, pads });
  return y;
}
