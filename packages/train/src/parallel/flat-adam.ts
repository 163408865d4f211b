import type { FlatOptimizer, OptimizerState } from './flat-optimizer-interface.ts';

const f32 = Math.fround;

/**
 * Adam over one flat parameter vector, computed as tf.train.adam computes it
 * (beta1 0.9, beta2 0.999, epsilon 1e-7, the same bias correction, every
 * operation rounded to float32 in tfjs's order, so the results are the
 * same bits), in a single pass that also forms the mean of the workers'
 * gradient sums.
 *
 * tfjs's optimizer runs about a dozen tensor ops per variable, each a full
 * pass with its own allocation: 9 ms per CNN step on wasm, against about
 * 2 ms for this loop.
 */
export class FlatAdam implements FlatOptimizer {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    /** The parameters, updated in place. */
    readonly params: Float32Array,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
    /** Per-parameter L2 coefficients added to the gradient (coupled weight decay); absent = none. */
    readonly decay?: Float32Array,
  ) {
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }

  /** One step with the gradient `(sums[0] + sums[1] + ...) / divisor`, summed in that order. */
  step(sums: readonly Float32Array[], divisor: number, learningRate: number): void {
    const { params, m, v } = this;
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    const k1 = f32(1 - this.beta1);
    const k2 = f32(1 - this.beta2);
    const eps = f32(this.epsilon);
    const rate = f32(-learningRate);
    const c1 = f32(1 - this.accBeta1);
    const c2 = f32(1 - this.accBeta2);
    const first = sums[0]!;
    const rest = sums.slice(1);
    const d = f32(divisor);
    for (let i = 0; i < params.length; i++) {
      let g = first[i]!;
      for (const s of rest) g = f32(g + s[i]!);
      g = f32(g / d);
      if (this.decay) g = f32(g + f32(this.decay[i]! * params[i]!));
      const mi = f32(f32(m[i]! * b1) + f32(g * k1));
      const vi = f32(f32(v[i]! * b2) + f32(f32(g * g) * k2));
      m[i] = mi;
      v[i] = vi;
      const step = f32(f32(f32(mi / c1) / f32(f32(Math.sqrt(f32(vi / c2))) + eps)) * rate);
      params[i] = f32(step + params[i]!);
    }
    this.accBeta1 = f32(this.accBeta1 * b1);
    this.accBeta2 = f32(this.accBeta2 * b2);
  }

  state(): OptimizerState {
    return { slots: [this.m.slice(), this.v.slice()], scalars: [this.accBeta1, this.accBeta2] };
  }

  restore({ slots, scalars }: OptimizerState): void {
    this.m.set(slots[0]!);
    this.v.set(slots[1]!);
    [this.accBeta1, this.accBeta2] = scalars as [number, number];
  }
}
