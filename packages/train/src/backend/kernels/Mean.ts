import { makeChannelReduce } from './channel-reduce.ts';
import type { WasmKernelReplacement } from './wasm-backend.ts';

export const meanReplacement: WasmKernelReplacement = { kernelName: 'Mean', wrap: makeChannelReduce(true) };
