import type { SessionRunner } from '@fmnist/core';

/** What `--device` asks for: `auto` tries CUDA and falls back to CPU. */
export type Device = 'auto' | 'cuda' | 'cpu';
/** The execution provider a session actually runs on. */
export type Provider = 'cuda' | 'cpu';

/** Which session thread serves a session: explanation graphs get their own, so that their long runs never hold up a classifier's batch. */
export type SessionLane = 'serving' | 'explain';

/**
 * Opens a session on exactly one provider. `threads`: onnxruntime intra-op
 * threads (1 for request serving, all cores for bulk evaluation). A
 * parameter, so that tests can swap in failing or slow sessions.
 */
export type SessionFactory = (bytes: Uint8Array, provider: Provider, threads?: number, lane?: SessionLane) => Promise<SessionRunner>;

/** How serve opens a model's sessions. */
export interface DeviceOptions {
  device: Device;
  /** Default: sessions in their own threads (threadSessionFactory); ortSessionFactory runs them in the calling thread. */
  factory?: SessionFactory;
  lane?: SessionLane;
  log?: (message: string) => void;
  /** Sessions per explanation graph; absent: decided from its measured cost (explain-lanes.ts). */
  explainLanes?: number;
}
