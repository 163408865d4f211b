/** An optimizer's state apart from the parameters: per-parameter slots and scalars, enough to continue bit for bit. */
export interface OptimizerState {
  slots: Float32Array[];
  scalars: number[];
}

/** An optimizer over one flat parameter vector, stepped with the mean of several gradient sums. */
export interface FlatOptimizer {
  /** The parameters, updated in place. */
  readonly params: Float32Array;
  /** One step with the gradient `(sums[0] + sums[1] + ...) / divisor`. */
  step(sums: readonly Float32Array[], divisor: number, learningRate: number): void;
  state(): OptimizerState;
  restore(state: OptimizerState): void;
}
