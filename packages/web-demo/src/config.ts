import { DEFAULT_MODEL, SHIPPED_MODELS, type ShippedModel } from '@fmnist/core';

/** What the page can run: the shipped models (core's list), on two onnxruntime-web backends. */
export const MODEL_NAMES = SHIPPED_MODELS;
export type ModelName = ShippedModel;

export const MODEL_LABELS: Record<ModelName, string> = {
  'resnet-photo': 'Photo ResNet-20',
  'cnn-photo': 'Photo CNN',
  cnn: 'CNN',
  mlp: 'MLP',
  resnet: 'ResNet-20',
};

const BACKENDS = ['wasm', 'webgpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const BACKEND_LABELS: Record<Backend, string> = { wasm: 'WebAssembly', webgpu: 'WebGPU' };

/** How many classes the bars show. */
export const TOP_K = 3;

/**
 * Model loaded first, at start-up, and checked in the model switch: the
 * server's default (the photo-tuned ResNet-20). A build without it (e.g. the test
 * fixtures) starts with the first shipped model it has; the others follow in the background.
 */
export const FIRST_MODEL: ModelName = DEFAULT_MODEL;
