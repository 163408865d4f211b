/**
 * The input contract shared by training, export, serving and the browser.
 *
 * One image is 28x28 single-channel float32 in [0, 1], row-major, the garment
 * bright on a black background (Fashion-MNIST's own polarity: byte / 255).
 * With one channel, NHWC (tfjs) and NCHW (ONNX) have the same memory order,
 * so a flat 784-float buffer is valid for both layouts.
 */
export const IMAGE_HEIGHT = 28;
export const IMAGE_WIDTH = 28;
export const IMAGE_CHANNELS = 1;
export const IMAGE_PIXELS = IMAGE_HEIGHT * IMAGE_WIDTH * IMAGE_CHANNELS;

export const INPUT_CONTRACT = {
  /** ONNX graph input name. */
  name: 'input',
  dtype: 'float32',
  /** tfjs layout; the batch dimension is dynamic. */
  tfjsShape: [-1, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS],
  /** ONNX layout; the batch dimension is dynamic. */
  onnxShape: [-1, IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH],
  range: [0, 1],
  scale: 1 / 255,
  polarity: 'garment bright on black background',
} as const;

/** ONNX input dims of a batch of `n` images, NCHW: [n, 1, 28, 28]. */
export function onnxInputDims(n: number): [number, number, number, number] {
  return [n, IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH];
}

/** ONNX graph output names. */
export const OUTPUT_NAMES = { logits: 'logits', probabilities: 'probabilities' } as const;

/** Converts 8-bit gray pixels (Fashion-MNIST bytes) to the model's float input. */
export function bytesToInput(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  if (out.length !== bytes.length) throw new RangeError(`output holds ${out.length} values, input has ${bytes.length}`);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! * INPUT_CONTRACT.scale;
  return out;
}

/**
 * The shipped models (models/<name>.onnx), in order of preference for a
 * request that names none: the ResNet-20 fine-tuned on real photos answers
 * uploads (it beats the photo-tuned CNN on every fold of the photographer-
 * grouped cross-validation, docs/photo-cv-resnet.md); the photo-tuned CNN
 * and the Fashion-MNIST-only models stay available by name.
 */
export const SHIPPED_MODELS = ['resnet-photo', 'cnn-photo', 'cnn', 'mlp', 'resnet'] as const;
export type ShippedModel = (typeof SHIPPED_MODELS)[number];
export const DEFAULT_MODEL: ShippedModel = SHIPPED_MODELS[0];

/** The architectures: the train CLI's --model, and what export reads a model's layers as. */
export const MODEL_KINDS = ['mlp', 'cnn', 'resnet'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
