import { input, UnsupportedGraphError, type Kernel, type Tensor } from '../tensor.ts';

/**
 * Binary ops of the classifiers: tensors of one shape (a residual add) or a
 * tensor and a single value (the calibration temperature). General
 * broadcasting is not needed by any shipped graph, so it is refused.
 */
export function binary(op: string, f: (a: number, b: number) => number): Kernel {
  return (inputs) => {
    const a = input(inputs, 0, op);
    const b = input(inputs, 1, op);
    const out = new Float32Array(a.data.length);
    if (b.data.length === 1) {
      const v = b.data[0]!;
      for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, v);
    } else if (sameShape(a, b)) {
      for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, b.data[i]!);
    } else {
      throw new UnsupportedGraphError(`${op}: broadcasting [${a.dims}] with [${b.dims}]`);
    }
    return { dims: a.dims, data: out };
  };
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
}
