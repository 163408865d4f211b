import { makeChannelReduce } from './channel-reduce.ts';
import type { WasmKernelReplacement } from './wasm-backend.ts';

export const sumReplacement: WasmKernelReplacement = { kernelName: 'Sum', wrap: makeChannelReduce(false) };
