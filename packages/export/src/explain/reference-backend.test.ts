import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { mapDeviation } from './parity.ts';
import { useReferenceBackend } from './reference-backend.ts';
import { referenceExplain, type ReferenceExplanation, type ReferenceOptions } from './reference.ts';

// The wasm reference (used for the 10,000-image parity runs) must explain
// exactly what the cpu one does, ties in all-zero max-pool windows included:
// a CNN shaped like the shipped one (linear Conv2D, BatchNormalization, ReLU,
// max-pool) on images with empty quadrants, which leave all-zero windows.
function model(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
        biasInitializer: tfl.initializers.constant({ value: -0.05 }),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }) }),
    ],
  });
  return m;
}

function images(n: number): Float32Array {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) {
    const [r, c] = [Math.floor((i % 784) / 28), i % 28];
    x[i] = r < 14 && c < 14 ? 0 : ((i * 2654435761) >>> 24) / 255;
  }
  return x;
}

describe('reference explanations on the wasm backend', () => {
  afterAll(() => useReferenceBackend('cpu'));

  it("equal the cpu backend's, for both targets, including Grad-CAM over all-zero pooling windows", async () => {
    const m = model();
    const x = images(4);
    const classes = [-1, 3, 7, -1];
    const run = async (backend: 'cpu' | 'wasm', options: ReferenceOptions) => {
      await useReferenceBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      return referenceExplain(m, x, 4, classes, options);
    };
    for (const target of ['logit', 'log-probability'] as const) {
      const options: ReferenceOptions = { saliencyForm: 'positive-gradient-x-input', target, temperature: 1.3 };
      const cpu = await run('cpu', options);
      const wasm = await run('wasm', options);
      expect([...wasm.explained]).toEqual([...cpu.explained]);
      for (const key of ['gradcam', 'saliency', 'inputGradient'] as const) {
        for (let i = 0; i < 4; i++) {
          const at = (r: ReferenceExplanation) => r[key]!.subarray(i * 784, (i + 1) * 784);
          expect(mapDeviation(at(cpu), at(wasm)).relative, `${target} ${key} image ${i}`).toBeLessThanOrEqual(1e-5);
        }
      }
    }
  }, 60_000);
});
