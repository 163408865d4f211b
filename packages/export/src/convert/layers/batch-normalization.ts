import { UnsupportedLayerError } from '../../errors.ts';
import type { LayerSpec, WeightSpec } from '../../model/spec.ts';
import type { Conv2DOp, DenseOp, Op } from '../types.ts';
import { requireWeight } from './config.ts';

/**
 * Folds an inference-mode BatchNormalization into the Dense or Conv2D just
 * before it: y = gamma * (x - mean) / sqrt(var + eps) + beta is a per-channel
 * affine map, so it becomes kernel * s and (bias - mean) * s + beta with
 * s = gamma / sqrt(var + eps). Arithmetic in float64, rounded once.
 * Returns the op that replaces `previous`.
 */
export function foldBatchNormalization(layer: LayerSpec, previous: Op | undefined): DenseOp | Conv2DOp {
  if (!previous || (previous.kind !== 'dense' && previous.kind !== 'conv2d')) {
    const after = previous ? `follows ${previous.layer.className} '${previous.layer.name}'` : 'is the first layer';
    throw new UnsupportedLayerError(
      layer.name,
      layer.className,
      'placement',
      `it ${after}; only a BatchNormalization directly after Dense or Conv2D is supported (it is folded into that layer)`,
    );
  }
  if (previous.activation !== 'linear') {
    throw new UnsupportedLayerError(
      layer.name,
      layer.className,
      'placement',
      `it follows ${previous.layer.className} '${previous.layer.name}' with activation '${previous.activation}'; folding needs a linear layer before it (use activation 'linear' and an Activation layer after the BatchNormalization)`,
    );
  }
  const channels = previous.kernel.shape[previous.kernel.shape.length - 1]!;
  const rank = previous.kind === 'dense' ? 2 : 4;
  const axis = layer.config.axis ?? -1;
  if (axis !== -1 && axis !== rank - 1) {
    throw new UnsupportedLayerError(
      layer.name,
      layer.className,
      `axis: ${JSON.stringify(axis)}`,
      `only the channel (last) axis is supported (-1 or ${rank - 1})`,
    );
  }
  const epsilon = layer.config.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw new UnsupportedLayerError(layer.name, layer.className, `epsilon: ${JSON.stringify(epsilon)}`);
  const mean = channelVector(layer, 'moving_mean', channels, 0, true);
  const variance = channelVector(layer, 'moving_variance', channels, 1, true);
  const gamma = channelVector(layer, 'gamma', channels, 1, layer.config.scale !== false);
  const beta = channelVector(layer, 'beta', channels, 0, layer.config.center !== false);

  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);

  const kernel = new Float32Array(previous.kernel.data.length);
  // The output channel is the last (fastest) axis of both [in, out] and [kh, kw, in, out].
  for (let i = 0; i < kernel.length; i++) kernel[i] = previous.kernel.data[i]! * scale[i % channels]!;
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) bias[c] = ((previous.bias?.data[c] ?? 0) - mean[c]!) * scale[c]! + beta[c]!;

  const folded = { shape: previous.kernel.shape, data: kernel } satisfies WeightSpec;
  const unfolded = previous.kind === 'conv2d' ? { unfolded: { kernel: previous.kernel, bias: previous.bias, gamma, beta, mean, variance, epsilon } } : {};
  return { ...previous, kernel: folded, bias: { shape: [channels], data: bias }, ...unfolded };
}

function channelVector(layer: LayerSpec, name: string, channels: number, fallback: number, required: boolean): ArrayLike<number> {
  if (!required) return new Float64Array(channels).fill(fallback);
  const weight = requireWeight(layer, name);
  if (weight.data.length !== channels) {
    throw new UnsupportedLayerError(
      layer.name,
      layer.className,
      `weights: '${name}' has ${weight.data.length} values`,
      `the layer before it has ${channels} channels`,
    );
  }
  return weight.data;
}
