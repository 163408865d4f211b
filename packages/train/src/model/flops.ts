import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Floating-point operations of one inference (forward pass) of one image,
 * counting a multiply-add as two: convolutions and dense layers only (batch
 * norm, ReLU, adds and pooling are under 1% of a ResNet's). A training step
 * costs about three times this per image (forward, input and weight gradients).
 */
export function forwardFlopsPerImage(model: tfl.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (kind !== 'Conv2D' && kind !== 'Dense') continue;
    const kernel = layer.getWeights()[0];
    if (!kernel) continue;
    const macsPerOutput = kernel.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const out = (layer.outputShape as (number | null)[]).slice(1) as number[];
    flops += 2 * macsPerOutput * out.reduce((a, b) => a * b, 1);
  }
  return flops;
}
