import { input, type Kernel } from '../tensor.ts';

export const Relu: Kernel = (inputs) => {
  const x = input(inputs, 0, 'Relu');
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(x.data[i]!, 0);
  return { dims: x.dims, data: out };
};
