import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The optional oneDNN convolution addon (packages/train/native/), built at
 * install where oneDNN is installed. Its kernels use the CPU's widest vectors
 * with fused multiply-add (AVX-512 or AVX2), where tfjs-backend-wasm's are
 * 128-bit without it: 4-15x faster per convolution pass on this machine
 * (docs/benchmarks.md). FMNIST_ONEDNN=0 turns it off.
 */
export interface OneDnnConv {
  /**
   * mode 0: y = conv(x, filter) (+ bias, then ReLU); 1: dx from dy and filter; 2: dfilter from x and dy.
   * a, b, out: (x, filter, y), (dy, filter, dx) or (x, dy, dfilter) in tfjs layouts (NHWC, HWIO).
   */
  conv(mode: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, geometry: number[], bias?: Float32Array | null, relu?: boolean): void;
  version: string;
}

export type OneDnnStatus = { loaded: true; addon: OneDnnConv; version: string } | { loaded: false; reason: string };

const ADDON = fileURLToPath(new URL('../../../native/build/Release/onednn_conv.node', import.meta.url));

let status: OneDnnStatus | undefined;

/** Loads the addon once per thread (each training worker loads its own). */
export function oneDnn(): OneDnnStatus {
  status ??= load();
  return status;
}

/** Off for the rest of this thread's life: the wasm kernel tests test the kernels that oneDNN replaces. */
export function disableOneDnn(reason = 'turned off'): void {
  status = { loaded: false, reason };
}

function load(): OneDnnStatus {
  if (process.env.FMNIST_ONEDNN === '0') return { loaded: false, reason: 'FMNIST_ONEDNN=0' };
  if (!existsSync(ADDON)) return { loaded: false, reason: 'not built (apt-get install libdnnl-dev, then pnpm --filter @fmnist/train build:native)' };
  try {
    const addon = createRequire(import.meta.url)(ADDON) as OneDnnConv;
    return { loaded: true, addon, version: addon.version };
  } catch (err) {
    return { loaded: false, reason: `failed to load: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` };
  }
}
