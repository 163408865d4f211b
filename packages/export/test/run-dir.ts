import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { RUN_FILES } from '@fmnist/core';

/** Writes `model` the way packages/train does: model.json + weights.bin (+ metrics.json when given). */
export async function saveRunDir(model: tfl.LayersModel, dir: string, metrics?: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [RUN_FILES.weights], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, RUN_FILES.model), JSON.stringify(json));
      await writeFile(join(dir, RUN_FILES.weights), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (metrics !== undefined) await writeFile(join(dir, RUN_FILES.metrics), JSON.stringify(metrics));
}

/** The shipped architectures (see packages/train), for tests that need their shape but not their training. */
export const architectures = {
  mlp: () =>
    tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [28, 28, 1] }),
        tfl.layers.dense({ units: 256, activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.3 }),
        tfl.layers.dense({ units: 128, activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.3 }),
        tfl.layers.dense({ units: 10 }),
      ],
    }),
  cnn: () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 128, activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.3 }),
        tfl.layers.dense({ units: 10 }),
      ],
    }),
  cnnBatchNorm: () =>
    tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 64, kernelSize: 3 }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 128 }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.3 }),
        tfl.layers.dense({ units: 10 }),
      ],
    }),
  /**
   * train's ResNet (buildResNet in packages/train, same layer names): a 3x3
   * conv-BN-ReLU stem, three stages of basic blocks (conv-BN-ReLU-conv-BN,
   * Add, ReLU) at width, 2x and 4x width, the first block of stages 2 and 3
   * striding its first conv by 2 with a 1x1 stride-2 conv + BN projection,
   * global average pooling, Dense(10). Depth 6n + 2.
   */
  resnet: (depth = 8, width = 8) => {
    type T = tfl.SymbolicTensor;
    const conv = (x: T, filters: number, kernelSize: number, strides: number, name: string) =>
      tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name }).apply(x) as T;
    const bn = (x: T, name: string) => tfl.layers.batchNormalization({ name }).apply(x) as T;
    const relu = (x: T, name: string) => tfl.layers.activation({ activation: 'relu', name }).apply(x) as T;
    const input = tfl.input({ shape: [28, 28, 1], name: 'input' });
    let x = relu(bn(conv(input, width, 3, 1, 'stem_conv'), 'stem_bn'), 'stem_relu');
    for (let stage = 0; stage < 3; stage++) {
      const filters = width * 2 ** stage;
      for (let b = 0; b < (depth - 2) / 6; b++) {
        const p = `s${stage + 1}b${b + 1}`;
        const strides = stage > 0 && b === 0 ? 2 : 1;
        let y = relu(bn(conv(x, filters, 3, strides, `${p}_conv1`), `${p}_bn1`), `${p}_relu1`);
        y = bn(conv(y, filters, 3, 1, `${p}_conv2`), `${p}_bn2`);
        const shortcut = strides === 1 && x.shape[3] === filters ? x : bn(conv(x, filters, 1, strides, `${p}_proj`), `${p}_proj_bn`);
        x = relu(tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as T, `${p}_relu2`);
      }
    }
    x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as T;
    return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 10, name: 'logits' }).apply(x) as T, name: 'resnet' });
  },
};
