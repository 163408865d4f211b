import { input, intAttr, size, type Kernel } from '../tensor.ts';

/** (x - zero point) * scale, per tensor or per channel along `axis`: the int8 weights' decoding (a constant, run once). */
export const DequantizeLinear: Kernel = (inputs, attrs) => {
  const x = input(inputs, 0, 'DequantizeLinear');
  const scale = input(inputs, 1, 'DequantizeLinear');
  const zero = inputs[2];
  const rank = x.dims.length;
  const raw = intAttr(attrs, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  const perChannel = scale.data.length > 1;
  const channels = perChannel ? x.dims[axis]! : 1;
  const inner = perChannel ? size(x.dims.slice(axis + 1)) : x.data.length;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = perChannel ? Math.floor(i / inner) % channels : 0;
    out[i] = (x.data[i]! - (zero ? zero.data[c]! : 0)) * scale.data[c]!;
  }
  return { dims: x.dims, data: out };
};
