// Browser-safe entry: no Node built-ins. Node-only helpers live in `@fmnist/core/node`.
export * from './labels.ts';
export * from './contract.ts';
export * from './predictions.ts';
export * from './image-format.ts';
export * from './run-dir.ts';
export * from './onnx-metadata.ts';
export * from './explain.ts';
export * from './errors.ts';
export * from './metrics.ts';
export * from './calibration.ts';
export * from './colour.ts';
export * from './random.ts';
export * from './session.ts';
export * from './dataset/idx.ts';
export * from './dataset/split.ts';
export * from './preprocess/index.ts';
export * from './photos/index.ts';
