import { createRng } from '@fmnist/core';

export { createRng, shuffle } from '@fmnist/core';

/**
 * A seeded stream that counts its draws, so its position can be saved in a
 * checkpoint and restored by replaying: a few million draws take tens of
 * milliseconds, and the generator stays core's one definition.
 */
export class CountingRng {
  private rng: () => number;
  private count = 0;

  constructor(
    readonly seed: number,
    draws = 0,
  ) {
    this.rng = createRng(seed);
    this.seek(draws);
  }

  readonly next = (): number => {
    this.count++;
    return this.rng();
  };

  get draws(): number {
    return this.count;
  }

  /** Moves to the position after `draws` draws from the seed. */
  seek(draws: number): void {
    if (draws < this.count) {
      this.rng = createRng(this.seed);
      this.count = 0;
    }
    for (; this.count < draws; this.count++) this.rng();
  }
}

/** The seed of Math.random in the training thread, derived from the run's shuffle seed. */
export function mathRandomSeed(seed: number): number {
  return seed ^ 0x9e3779b9;
}

/**
 * Runs `fn` with Math.random replaced by a seeded generator.
 *
 * tfjs-layers draws dropout masks (and unseeded initializers) from
 * tfjs-core's random ops, which seed themselves from Math.random. Seeding
 * Math.random is the one hook that makes a whole training run repeatable.
 */
export async function withSeededMathRandom<T>(seed: number | CountingRng, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = (typeof seed === 'number' ? new CountingRng(mathRandomSeed(seed)) : seed).next;
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
