/**
 * Symmetric per-channel int8 weight quantization: for channel c,
 * scale[c] = max|w| / 127 and q = round(w / scale[c]) in [-127, 127], so the
 * dequantized weight q * scale[c] is within scale[c] / 2 of w. Zero points
 * are 0 (symmetric), which every ONNX runtime handles on the DequantizeLinear path.
 */
export interface QuantizedWeights {
  values: Int8Array;
  scales: Float32Array;
}

export function quantizePerChannel(data: Float32Array, dims: readonly number[], axis: number): QuantizedWeights {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(data[i]!));
  // An all-zero channel gets scale 1 (any scale represents zeros exactly; 0 would divide by zero).
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scales[channelOf(i)]!)));
  return { values, scales };
}
