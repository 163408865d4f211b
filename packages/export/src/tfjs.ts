import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * The reference side of every comparison runs on tfjs's pure-JS CPU backend:
 * no native code, so parity does not depend on the machine's TensorFlow build.
 */
export async function useCpuBackend(): Promise<void> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
}

/** Predicts a batch given in tfjs layout (flat NHWC buffer) and returns the flat output. */
export function predictFlat(model: LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor(input, shape, 'float32'));
    if (Array.isArray(out)) throw new Error('model has several outputs');
    return out.dataSync() as Float32Array;
  });
}
