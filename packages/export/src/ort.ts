import * as ort from 'onnxruntime-node';
import { openSessionRunner, type SessionRunner } from '@fmnist/core';

export interface CpuSessionOptions {
  /** Threads for one inference; defaults to onnxruntime's choice. Keep low beside a training run. */
  threads?: number;
  /** onnxruntime's graph optimization level; 'all' (what serving uses) unless a diagnostic asks for less. */
  level?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Opens ONNX bytes on onnxruntime-node's CPU provider with every graph optimization on, as serving does. */
export function openCpuSession(bytes: Uint8Array, { threads, level = 'all' }: CpuSessionOptions = {}): Promise<SessionRunner> {
  return openSessionRunner(ort, bytes, {
    graphOptimizationLevel: level,
    executionProviders: ['cpu'],
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}
