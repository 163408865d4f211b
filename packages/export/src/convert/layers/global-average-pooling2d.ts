import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec } from '../../model/spec.ts';
import type { EmitContext, TensorState } from '../types.ts';
import { requireChannelsLast } from './config.ts';

export interface GlobalAveragePooling2DOp {
  kind: 'globalAveragePooling2d';
  layer: LayerSpec;
}

export function parseGlobalAveragePooling2D(layer: LayerSpec): GlobalAveragePooling2DOp {
  requireChannelsLast(layer);
  if (layer.config.keepDims === true)
    throw new UnsupportedLayerError(layer.name, layer.className, 'keepDims: true', 'only the default [N, C] output is supported');
  return { kind: 'globalAveragePooling2d', layer };
}

/**
 * GlobalAveragePooling2D -> GlobalAveragePool ([N, C, 1, 1]) and Flatten to
 * [N, C]: with 1x1 maps the C,H,W and H,W,C feature orders coincide, so
 * the result is tfjs's [N, C] as is.
 */
export function emitGlobalAveragePooling2D(op: GlobalAveragePooling2DOp, ctx: EmitContext, x: TensorState): TensorState {
  const { layer } = op;
  if (x.layout !== 'spatial')
    throw new UnsupportedLayerError(layer.name, layer.className, `input rank 2 ([${x.shape}])`, 'GlobalAveragePooling2D needs an [N, H, W, C] input');
  const pooled = ctx.graph.uniqueName(`${layer.name}/pooled`);
  ctx.graph.addNode('GlobalAveragePool', [x.name], [pooled], {}, `${layer.name}/GlobalAveragePool`);
  const out = ctx.graph.uniqueName(`${layer.name}/out`);
  ctx.graph.addNode('Flatten', [pooled], [out], { axis: 1 }, `${layer.name}/Flatten`);
  const y: TensorState = { name: out, layout: 'flat', shape: [x.shape[2]!] };
  ctx.trace?.push({ kind: 'globalAveragePooling2d', layerName: layer.name, input: x, output: y });
  return y;
}
