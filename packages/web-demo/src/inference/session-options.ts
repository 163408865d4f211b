import type * as Ort from 'onnxruntime-web';
import type { Backend } from '../config.ts';

/**
 * Session options. `session.disable_quant_qdq` lets onnxruntime constant-fold
 * the int8 models' DequantizeLinear nodes into float32 weights once, when the
 * session is created: without it the dequantization runs in every
 * `session.run` and the matrix weights cannot be pre-packed, which made one
 * CNN image cost 13-20 ms instead of about 1 ms on wasm (measured in Chromium,
 * docs/benchmarks.md). The numbers are the same: the folded weights are the
 * dequantized ones. The download stays int8.
 */
export const SESSION_OPTIONS = (backend: Backend): Ort.InferenceSession.SessionOptions => ({
  executionProviders: [backend],
  graphOptimizationLevel: 'all',
  extra: { session: { disable_quant_qdq: '1' } },
});
