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

/** Reorders a batch from NHWC (tfjs) to NCHW (ONNX). With one channel this is a copy. */
export function nhwcToNchw(data: Float32Array, [n, h, w, c]: [number, number, number, number]): Float32Array {
  if (c === 1) return data;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch]!;
      }
    }
  }
  return out;
}
