import { input, intAttr, size, type Kernel } from '../tensor.ts';

export const Flatten: Kernel = (inputs, attrs) => {
  const x = input(inputs, 0, 'Flatten');
  const rank = x.dims.length;
  const raw = intAttr(attrs, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  return { dims: [size(x.dims.slice(0, axis)), size(x.dims.slice(axis))], data: x.data };
};
