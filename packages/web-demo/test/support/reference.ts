import { bytesToInput, IMAGE_PIXELS } from '@fmnist/core';
import { loadModel } from '@fmnist/serve';

/**
 * A model file's own answers from onnxruntime-node (no browser, no decoding):
 * what the page must show for a test image, whose preprocessing is a pass-through.
 */
export async function referenceTop1(file: string, images: Uint8Array[]): Promise<number[]> {
  const model = await loadModel(file, { device: 'cpu', log: () => {} });
  try {
    const input = new Float32Array(images.length * IMAGE_PIXELS);
    images.forEach((img, i) => bytesToInput(img, input.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)));
    const { probabilities } = await model.run(input, images.length);
    return images.map((_, i) => {
      const p = probabilities.subarray(i * 10, (i + 1) * 10);
      return p.indexOf(Math.max(...p));
    });
  } finally {
    await model.session.release();
    await model.bulkSession.release();
  }
}
