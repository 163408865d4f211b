import { FlatAdam } from './flat-adam.ts';
import type { FlatOptimizer, OptimizerState } from './flat-optimizer-interface.ts';

export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerSettings {
  optimizer?: OptimizerName;
  /** SGD's Nesterov momentum (absent: 0.9). */
  momentum?: number;
  /** Coupled L2 weight decay on kernels (absent: 0); biases and batch-norm parameters are not decayed. */
  weightDecay?: number;
}

export const DEFAULT_MOMENTUM = 0.9;

const f32 = Math.fround;

/**
 * SGD with Nesterov momentum as tf.train.momentum(rate, m, true) computes it
 * (and as PyTorch's SGD(nesterov=True) does, up to where the rate enters):
 * a = m*a + g; p -= rate * (g + m*a), with g the mean gradient plus decay.
 */
export class FlatSgd implements FlatOptimizer {
  private readonly accumulation: Float32Array;

  constructor(
    readonly params: Float32Array,
    readonly momentum = DEFAULT_MOMENTUM,
    readonly decay?: Float32Array,
  ) {
    this.accumulation = new Float32Array(params.length);
  }

  step(sums: readonly Float32Array[], divisor: number, learningRate: number): void {
    const { params, accumulation: a } = this;
    const m = f32(this.momentum);
    const rate = f32(-learningRate);
    const d = f32(divisor);
    const first = sums[0]!;
    const rest = sums.slice(1);
    for (let i = 0; i < params.length; i++) {
      let g = first[i]!;
      for (const s of rest) g = f32(g + s[i]!);
      g = f32(g / d);
      if (this.decay) g = f32(g + f32(this.decay[i]! * params[i]!));
      const ai = f32(f32(m * a[i]!) + g);
      a[i] = ai;
      params[i] = f32(f32(rate * f32(g + f32(ai * m))) + params[i]!);
    }
  }

  state(): OptimizerState {
    return { slots: [this.accumulation.slice()], scalars: [] };
  }

  restore({ slots }: OptimizerState): void {
    this.accumulation.set(slots[0]!);
  }
}

/**
 * The recipe's optimizer over `params`. `decayed[i]` says whether the
 * variable owning parameter i is a kernel (weight decay applies).
 */
export function createFlatOptimizer(settings: OptimizerSettings, params: Float32Array, decayed: (i: number) => boolean): FlatOptimizer {
  const wd = settings.weightDecay ?? 0;
  const decay = wd > 0 ? Float32Array.from({ length: params.length }, (_, i) => (decayed(i) ? wd : 0)) : undefined;
  return settings.optimizer === 'sgd' ? new FlatSgd(params, settings.momentum ?? DEFAULT_MOMENTUM, decay) : new FlatAdam(params, 0.9, 0.999, 1e-7, decay);
}
