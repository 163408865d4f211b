/**
 * 'constant'; 'cosine' decays the rate per step to 0 over the run;
 * 'onecycle' rises linearly from rate/25 to the rate over the first
 * ONE_CYCLE_WARMUP of the steps, then follows a cosine to 0 (Smith's one
 * cycle as PyTorch's OneCycleLR shapes it, with a cosine annealing phase).
 */
export const LR_SCHEDULES = ['constant', 'cosine', 'onecycle'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
const ONE_CYCLE_WARMUP = 0.15;
const ONE_CYCLE_START_DIVISOR = 25;

export function learningRateAt(recipe: { learningRate: number; lrSchedule: LrSchedule }, step: number, totalSteps: number): number {
  const peak = recipe.learningRate;
  const cosine = (from: number, span: number) => peak * 0.5 * (1 + Math.cos((Math.PI * from) / span));
  switch (recipe.lrSchedule) {
    case 'constant':
      return peak;
    case 'cosine':
      return cosine(step, totalSteps);
    case 'onecycle': {
      const warmup = Math.max(1, Math.round(ONE_CYCLE_WARMUP * totalSteps));
      if (step < warmup) return peak / ONE_CYCLE_START_DIVISOR + (peak - peak / ONE_CYCLE_START_DIVISOR) * (step / warmup);
      return cosine(step - warmup, totalSteps - warmup);
    }
  }
}
