import { makeSharedCopy } from './shared-copy.ts';
import type { WasmKernelReplacement } from './wasm-backend.ts';

export const identityReplacement: WasmKernelReplacement = { kernelName: 'Identity', wrap: makeSharedCopy };
