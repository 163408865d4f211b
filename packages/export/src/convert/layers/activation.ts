import type { LayerSpec } from '../../model/spec.ts';
import type { ActivationName, ActivationOp, EmitContext, TensorState } from '../types.ts';
import { readActivation } from './config.ts';

/** Activation layer (separate from the preceding layer, as in the batch-norm variant). */
export function parseActivation(layer: LayerSpec): ActivationOp {
  return { kind: 'activation', layer, activation: readActivation(layer) };
}

export function emitActivation(op: ActivationOp, ctx: EmitContext, x: TensorState): TensorState {
  const y = applyActivation(ctx, x, op.activation, op.layer.name);
  ctx.trace?.push({ kind: 'activation', layerName: op.layer.name, input: x, output: y, activation: op.activation });
  return y;
}

/**
 * Appends the node for an activation, fused or separate. Softmax acts on the
 * tfjs last axis, which is the channel axis (1) of an NCHW tensor.
 */
export function applyActivation(ctx: EmitContext, x: TensorState, activation: ActivationName, layerName: string): TensorState {
  if (activation === 'linear') return x;
  const out = ctx.graph.uniqueName(`${layerName}/${activation}`);
  if (activation === 'relu') ctx.graph.addNode('Relu', [x.name], [out], {}, `${layerName}/Relu`);
  else ctx.graph.addNode('Softmax', [x.name], [out], { axis: 1 }, `${layerName}/Softmax`);
  // Both are per-row (Softmax) or elementwise (Relu): a pending C,H,W feature order stays valid.
  return { ...x, name: out };
}
