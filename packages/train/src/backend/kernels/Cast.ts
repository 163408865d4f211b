import { makeSharedCopy } from './shared-copy.ts';
import type { WasmKernelReplacement } from './wasm-backend.ts';

export const castReplacement: WasmKernelReplacement = { kernelName: 'Cast', wrap: makeSharedCopy };
