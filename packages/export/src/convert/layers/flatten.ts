import type { LayerSpec } from '../../model/spec.ts';
import type { EmitContext, FlattenOp, Op, TensorState } from '../types.ts';
import { requireChannelsLast } from './config.ts';

export function parseFlatten(layer: LayerSpec): FlattenOp {
  requireChannelsLast(layer);
  return { kind: 'flatten', layer };
}

/**
 * Flatten -> ONNX Flatten(axis 1). On NCHW this yields C,H,W feature order,
 * not tfjs's H,W,C. When a Dense consumes the result (through order-blind
 * ops only) it permutes its rows instead; otherwise a Transpose to NHWC goes
 * first so the output order matches tfjs. With one channel (or 1x1 maps)
 * both orders coincide and nothing is needed.
 */
export function emitFlatten(op: FlattenOp, ctx: EmitContext, x: TensorState): TensorState {
  const { layer } = op;
  if (x.layout === 'flat') return x; // Flatten of [N, F] is the identity: emit no node.
  const [h, w, c] = x.shape as [number, number, number];
  const orderMatters = c > 1 && h * w > 1;
  let source = x.name;
  if (orderMatters && !denseConsumesNext(ctx.rest)) {
    source = ctx.graph.uniqueName(`${layer.name}/nhwc`);
    ctx.graph.addNode('Transpose', [x.name], [source], { perm: [0, 2, 3, 1] }, `${layer.name}/Transpose`);
  }
  const out = ctx.graph.uniqueName(`${layer.name}/out`);
  ctx.graph.addNode('Flatten', [source], [out], { axis: 1 }, `${layer.name}/Flatten`);
  const flat: TensorState = { name: out, layout: 'flat', shape: [h * w * c] };
  if (orderMatters && source === x.name) flat.chwFrom = [h, w, c];
  ctx.trace?.push({ kind: 'flatten', layerName: layer.name, input: x, output: flat, transposed: source !== x.name });
  return flat;
}

/** True when the next op that cares about feature order is a Dense (Relu and Softmax over all features do not). */
function denseConsumesNext(rest: readonly Op[]): boolean {
  for (const op of rest) {
    if (op.kind === 'dense') return true;
    if (op.kind === 'activation') continue;
    if (op.kind === 'flatten') continue;
    return false;
  }
  return false;
}
