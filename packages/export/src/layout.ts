/**
 * Tensor layouts between tfjs (channels last) and ONNX (channels first), as
 * plain loops: the converter uses them without loading tfjs.
 */

type Dims4 = [number, number, number, number];

/** Permutes a flat 4-D tensor: output axis k is input axis perm[k]. */
function transpose4(data: Float32Array, dims: Dims4, perm: Dims4): Float32Array {
  const out = new Float32Array(data.length);
  const stride = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const [s0, s1, s2, s3] = perm.map((axis) => stride[axis]!) as Dims4;
  const [d0, d1, d2, d3] = perm.map((axis) => dims[axis]!) as Dims4;
  let o = 0;
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++) for (let c = 0; c < d2; c++) for (let d = 0; d < d3; d++) out[o++] = data[a * s0 + b * s1 + c * s2 + d * s3]!;
  return out;
}

/** A Keras/tfjs kernel [kh, kw, in, out] as ONNX Conv's weight [out, in, kh, kw]. */
export function hwioToOihw(kernel: Float32Array, dims: Dims4): Float32Array {
  return transpose4(kernel, dims, [3, 2, 0, 1]);
}

/** Reorders a batch from NHWC (tfjs) to NCHW (ONNX). With one channel this is a copy. */
export function nhwcToNchw(data: Float32Array, dims: Dims4): Float32Array {
  return dims[3] === 1 ? data : transpose4(data, dims, [0, 3, 1, 2]);
}
