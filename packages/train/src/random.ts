import { createRng } from '@fmnist/core';

export { createRng, shuffle } from '@fmnist/core';

/**
 * Runs `fn` with Math.random replaced by a seeded generator.
 *
 * tfjs-layers draws dropout masks (and unseeded initializers) from
 * tfjs-core's random ops, which seed themselves from Math.random. Seeding
 * Math.random is the one hook that makes a whole training run repeatable.
 */
export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = createRng(seed ^ 0x9e3779b9);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
