/** A Keras/tfjs kernel [kh, kw, in, out] as ONNX Conv's weight [out, in, kh, kw]. */
export function hwioToOihw(kernel: Float32Array, [kh, kw, cin, cout]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o]!;
      }
    }
  }
  return out;
}
