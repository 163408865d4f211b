export * from './index.ts';
export * from './dataset/load.ts';
export * from './paths.ts';
export * from './run-files.ts';
export * from './dataset/data-dir.ts';
export * from './dataset/download.ts';
export * from './photos/load.ts';
export * from './photos/preprocess-version.ts';
