import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec } from '../../model/spec.ts';
import type { EmitContext, TensorState } from '../types.ts';

/** Add of two or more tensors (a residual block's shortcut and its branch). */
export interface AddOp {
  kind: 'add';
  layer: LayerSpec;
}

export function parseAdd(layer: LayerSpec): AddOp {
  return { kind: 'add', layer };
}

/**
 * Add -> a chain of ONNX Add nodes. The inputs must agree in layout, shape
 * and feature order (no broadcasting: tfjs's Add layer has none either).
 */
export function emitAdd(op: AddOp, ctx: EmitContext, xs: readonly TensorState[]): TensorState {
  const { layer } = op;
  const [first, ...rest] = xs;
  if (!first || rest.length === 0) throw new UnsupportedLayerError(layer.name, layer.className, `${xs.length} input(s)`, 'Add needs at least two');
  for (const x of rest) {
    const same = x.layout === first.layout && x.shape.join() === first.shape.join() && String(x.chwFrom) === String(first.chwFrom);
    if (!same)
      throw new UnsupportedLayerError(layer.name, layer.className, `inputs of shapes [${first.shape}] and [${x.shape}]`, 'Add needs inputs of one shape');
  }
  let sum = first.name;
  rest.forEach((x, i) => {
    const out = ctx.graph.uniqueName(`${layer.name}/out`);
    ctx.graph.addNode('Add', [sum, x.name], [out], {}, ctx.graph.uniqueName(`${layer.name}/Add${i === 0 ? '' : `_${i}`}`));
    sum = out;
  });
  const y = { ...first, name: sum };
  ctx.trace?.push({ kind: 'add', layerName: layer.name, inputs: [...xs], output: y });
  return y;
}
