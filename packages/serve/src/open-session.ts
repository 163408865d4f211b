import type { SessionRunner } from '@fmnist/core';
import type { DeviceOptions, Provider } from './session-types.ts';
import { threadSessionFactory } from './threads/thread-session.ts';

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/** Picks the provider: `cuda` must succeed, `auto` tries CUDA and falls back to CPU with the reason logged. */
export async function openOnDevice(
  bytes: Uint8Array,
  name: string,
  { device, factory = threadSessionFactory, log = console.warn, lane }: DeviceOptions,
): Promise<{ session: SessionRunner; provider: Provider; fallbackReason?: string }> {
  if (device === 'cpu') return { session: await factory(bytes, 'cpu', 1, lane), provider: 'cpu' };
  try {
    return { session: await factory(bytes, 'cuda', 1, lane), provider: 'cuda' };
  } catch (err) {
    const reason = firstLine(err);
    if (device === 'cuda') {
      throw new ModelLoadError(
        `${name}: the CUDA execution provider is unavailable (${reason}). Install CUDA 12 and cuDNN 9 and reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12, or start with --device cpu (or auto).`,
      );
    }
    log(`${name}: CUDA unavailable (${reason}); using CPU`);
    return { session: await factory(bytes, 'cpu', 1, lane), provider: 'cpu', fallbackReason: reason };
  }
}

/** An error's first line, capped: onnxruntime's messages can carry whole path dumps. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}
