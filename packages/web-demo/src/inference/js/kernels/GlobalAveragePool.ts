import { input, type Kernel } from '../tensor.ts';

export const GlobalAveragePool: Kernel = (inputs) => {
  const x = input(inputs, 0, 'GlobalAveragePool');
  const [n, c, ...spatial] = x.dims as [number, number, ...number[]];
  const area = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let sum = 0;
    for (let j = 0; j < area; j++) sum += x.data[i * area + j]!;
    out[i] = sum / area;
  }
  return { dims: [n, c, ...spatial.map(() => 1)], data: out };
};
