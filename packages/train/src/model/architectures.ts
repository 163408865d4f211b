import * as tfl from '@tensorflow/tfjs-layers';
import { fastBatchNormalization } from './batch-norm.ts';
import { fastDropout } from './fast-dropout.ts';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES, type ModelKind } from '@fmnist/core';

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
  /** ResNet depth 6n + 2 (n residual blocks per stage): 20 is ResNet-20. */
  depth: number;
  /** ResNet channels of the first stage; the next two stages double it twice. */
  width: number;
}

const DEFAULT_ARCHITECTURE: ArchitectureOptions = { dropout: 0.3, batchNorm: false, convDropout: 0, padding: 'valid', seed: 42, depth: 20, width: 16 };

/**
 * Moving-statistics momentum of the ResNet's batch norms: PyTorch's default
 * (0.1 there, as the weight of the new batch). Keras' 0.99 averages over
 * ~100 steps' statistics, from weights that a 0.1 learning rate has since
 * moved: validation in early epochs then scores stale statistics.
 */
const RESNET_BN_MOMENTUM = 0.9;

/** The ResNet's stages: each doubles the channels and halves the map (28 -> 14 -> 7) after the first. */
const RESNET_STAGES = 3;

const INPUT_SHAPE = [IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS];

/**
 * The guide's two models. Both end in a linear Dense(10): the model outputs
 * logits; softmax belongs to the loss in training and to the exported graph.
 */
export function buildModel(kind: ModelKind, options: Partial<ArchitectureOptions> = {}): tfl.LayersModel {
  const o = { ...DEFAULT_ARCHITECTURE, ...options };
  if (kind === 'resnet') return buildResNet(o);
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
      withActivation((activation, useBias) =>
        tfl.layers.conv2d({ filters, kernelSize: 3, padding: o.padding, activation, useBias, kernelInitializer: init() }),
      );
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

/** Residual blocks per stage for a ResNet depth (6n + 2: two convs per block, the stem and the head). */
export function resnetBlocks(depth: number): number {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0)
    throw new RangeError(`ResNet depth must be 6n + 2 with n >= 1 (8, 14, 20, 26, 32, ...), got ${depth}`);
  return (depth - 2) / 6;
}

/**
 * The CIFAR-style ResNet (He et al. 2016, section 4.2) for 28x28 inputs: a
 * 3x3 conv stem, three stages of n basic blocks (conv-BN-ReLU-conv-BN, add,
 * ReLU) at width, 2x and 4x width, the first block of stages 2 and 3
 * striding its first 3x3 conv by 2 with a 1x1 strided conv + BN projection
 * on the shortcut, then global average pooling and the linear classifier.
 * Convs have no bias (BN follows each, momentum RESNET_BN_MOMENTUM);
 * He-normal initialization, seeded.
 */
function buildResNet(o: ArchitectureOptions): tfl.LayersModel {
  const blocks = resnetBlocks(o.depth);
  if (!Number.isInteger(o.width) || o.width < 1) throw new RangeError(`ResNet width must be a positive integer, got ${o.width}`);
  let seed = o.seed;
  const conv = (x: tfl.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string) =>
    tfl.layers
      .conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) => fastBatchNormalization({ name, momentum: RESNET_BN_MOMENTUM }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.activation({ activation: 'relu', name }).apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: INPUT_SHAPE, name: 'input' });
  let x = relu(bn(conv(input, o.width, 3, 1, 'stem_conv'), 'stem_bn'), 'stem_relu');
  for (let stage = 0; stage < RESNET_STAGES; stage++) {
    const filters = o.width * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const p = `s${stage + 1}b${b + 1}`;
      const strides = stage > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, strides, `${p}_conv1`), `${p}_bn1`), `${p}_relu1`);
      y = bn(conv(y, filters, 3, 1, `${p}_conv2`), `${p}_bn2`);
      const shortcut = strides === 1 && (x.shape[3] as number) === filters ? x : bn(conv(x, filters, 1, strides, `${p}_proj`), `${p}_proj_bn`);
      x = relu(tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor, `${p}_relu2`);
    }
  }
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: NUM_CLASSES, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }), name: 'logits' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'resnet' });
}
