import * as tfl from '@tensorflow/tfjs-layers';
import { fastBatchNormalization } from './batch-norm.ts';
import { fastDropout } from './fast-dropout.ts';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';

export const MODEL_KINDS = ['mlp', 'cnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ArchitectureOptions {
  /** Dropout rate after each hidden dense layer (the guide's 0.3). */
  dropout: number;
  /** Batch-norm variant: conv/dense -> BatchNormalization -> ReLU instead of a fused ReLU. */
  batchNorm: boolean;
  /** Dropout after each conv block (0 = none, the guide's plain CNN). */
  convDropout: number;
  /** Convolution padding: 'same' keeps 28x28 and 14x14 maps, so the second block sees the garment's edges. */
  padding: 'valid' | 'same';
  /** Seeds the weight initializers. */
  seed: number;
}

export const DEFAULT_ARCHITECTURE: ArchitectureOptions = { dropout: 0.3, batchNorm: false, convDropout: 0, padding: 'valid', seed: 42 };

const INPUT_SHAPE = [IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS];

/**
 * The guide's two models. Both end in a linear Dense(10): the model outputs
 * logits; softmax belongs to the loss in training and to the exported graph.
 */
export function buildModel(kind: ModelKind, options: Partial<ArchitectureOptions> = {}): tfl.Sequential {
  const o = { ...DEFAULT_ARCHITECTURE, ...options };
  let seed = o.seed;
  const init = () => tfl.initializers.glorotUniform({ seed: seed++ });
  const model = tfl.sequential({ name: kind });
  // Dense or conv followed by ReLU, or by BN then ReLU in the batch-norm variant (the bias is redundant before BN).
  const withActivation = (make: (activation: 'relu' | 'linear', useBias: boolean) => tfl.layers.Layer) => {
    if (!o.batchNorm) return model.add(make('relu', true));
    model.add(make('linear', false));
    model.add(fastBatchNormalization());
    model.add(tfl.layers.activation({ activation: 'relu' }));
  };
  if (kind === 'mlp') {
    model.add(tfl.layers.flatten({ inputShape: INPUT_SHAPE }));
    for (const units of [256, 128]) {
      withActivation((activation, useBias) => tfl.layers.dense({ units, activation, useBias, kernelInitializer: init() }));
      if (o.dropout > 0) model.add(fastDropout(o.dropout));
    }
  } else {
    model.add(tfl.layers.inputLayer({ inputShape: INPUT_SHAPE }));
    for (const filters of [32, 64]) {
      withActivation((activation, useBias) => tfl.layers.conv2d({ filters, kernelSize: 3, padding: o.padding, activation, useBias, kernelInitializer: init() }));
      model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      if (o.convDropout > 0) model.add(fastDropout(o.convDropout));
    }
    model.add(tfl.layers.flatten());
    withActivation((activation, useBias) => tfl.layers.dense({ units: 128, activation, useBias, kernelInitializer: init() }));
    if (o.dropout > 0) model.add(fastDropout(o.dropout));
  }
  model.add(tfl.layers.dense({ units: NUM_CLASSES, kernelInitializer: init(), name: 'logits' }));
  return model;
}
