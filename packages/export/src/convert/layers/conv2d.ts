import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec } from '../../model/spec.ts';
import type { Conv2DOp, EmitContext, TensorState } from '../types.ts';
import { applyActivation } from './activation.ts';
import { emitConv2DAsTfjs } from './conv2d-as-tfjs.ts';
import { readActivation, readBias, readPadding, readPair, requireChannelsLast, requireWeight } from './config.ts';
import { padsFor } from './padding.ts';
import { hwioToOihw } from '../../layout.ts';

export function parseConv2D(layer: LayerSpec): Conv2DOp {
  requireChannelsLast(layer);
  const dilation = readPair(layer, 'dilationRate', [1, 1]);
  if (dilation[0] !== 1 || dilation[1] !== 1)
    throw new UnsupportedLayerError(layer.name, layer.className, `dilationRate: [${dilation}]`, 'only [1, 1] is supported');
  const groups = layer.config.groups;
  if (groups !== undefined && groups !== null && groups !== 1)
    throw new UnsupportedLayerError(layer.name, layer.className, `groups: ${JSON.stringify(groups)}`, 'only 1 is supported');
  return {
    kind: 'conv2d',
    layer,
    kernel: requireWeight(layer, 'kernel'),
    bias: readBias(layer),
    activation: readActivation(layer),
    strides: readPair(layer, 'strides', [1, 1]),
    padding: readPadding(layer),
  };
}

/** Conv2D -> Conv on NCHW with the kernel moved from [kh, kw, in, out] to [out, in, kh, kw]. */
export function emitConv2D(op: Conv2DOp, ctx: EmitContext, x: TensorState): TensorState {
  const { layer } = op;
  if (x.layout !== 'spatial') throw new UnsupportedLayerError(layer.name, layer.className, `input rank 2 ([${x.shape}])`, 'Conv2D needs an [N, H, W, C] input');
  const [kh, kw, cin, cout] = op.kernel.shape as [number, number, number, number];
  const [h, w, c] = x.shape as [number, number, number];
  if (cin !== c) throw new UnsupportedLayerError(layer.name, layer.className, `kernel shape [${op.kernel.shape}]`, `input has ${c} channels`);
  const rows = padsFor(op.padding, h, kh, op.strides[0]);
  const cols = padsFor(op.padding, w, kw, op.strides[1]);
  const pads = [rows.before, cols.before, rows.after, cols.after];
  const asTfjs = ctx.exactFirstLayer !== undefined && cin === 1;
  // The folded kernel is what a backward pass differentiates through, even where the forward pass is written out as tfjs's.
  const kernel =
    !asTfjs || ctx.trace ? ctx.graph.addWeight(`${layer.name}/kernel`, hwioToOihw(op.kernel.data, [kh, kw, cin, cout]), [cout, cin, kh, kw], 0) : '';
  let out: string;
  if (asTfjs) out = emitConv2DAsTfjs(ctx.graph, op, x, rows, cols, ctx.exactFirstLayer!);
  else {
    out = ctx.graph.uniqueName(`${layer.name}/out`);
    const bias = op.bias ? [ctx.graph.addInitializer(`${layer.name}/bias`, op.bias.data, [cout])] : [];
    ctx.graph.addNode(
      'Conv',
      [x.name, kernel, ...bias],
      [out],
      { kernel_shape: [kh, kw], strides: op.strides, pads, dilations: [1, 1], group: 1 },
      `${layer.name}/Conv`,
    );
  }
  const y = applyActivation(ctx, { name: out, layout: 'spatial', shape: [rows.out, cols.out, cout] }, op.activation, layer.name);
  ctx.trace?.push({
    kind: 'conv2d',
    layerName: layer.name,
    input: x,
    output: y,
    kernel,
    activation: op.activation,
    kernelShape: [kh, kw],
    strides: op.strides,
    pads,
  });
  return y;
}
