export * from './index.ts';
export * from './dataset/load.ts';
export * from './dataset/data-dir.ts';
export * from './dataset/download.ts';
export * from './test-data.ts';
