// Browser-safe: photo-set labels, grouped splits and metrics. The Node reader is in load.ts (exported from `@fmnist/core/node`).
export * from './errors.ts';
export * from './labels.ts';
export * from './split.ts';
export * from './metrics.ts';
