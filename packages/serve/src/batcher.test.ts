import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, NUM_CLASSES } from '@fmnist/core';
import { Batcher, BatchQueue } from './batcher.ts';
import { HttpError } from './errors.ts';

/** A fake model: each image's "logits" are its first pixel repeated, so rows can be told apart. */
function fakeRun(sizes: number[], delayMs = 0) {
  return async (input: Float32Array, n: number) => {
    sizes.push(n);
    await new Promise((r) => setTimeout(r, delayMs));
    const logits = new Float32Array(n * NUM_CLASSES);
    for (let i = 0; i < n; i++) logits.fill(input[i * IMAGE_PIXELS]!, i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    return { logits, probabilities: logits.slice() };
  };
}

const image = (v: number) => new Float32Array(IMAGE_PIXELS).fill(v);

describe('Batcher', () => {
  it('coalesces concurrent submissions up to maxBatch and gives each caller its own row', async () => {
    const sizes: number[] = [];
    const b = new Batcher(fakeRun(sizes, 5), { maxBatch: 4, maxDelayMs: 50, maxQueue: 100 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(image(i))));
    out.forEach((s, i) => expect(Array.from(s.logits)).toEqual(Array(NUM_CLASSES).fill(i)));
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(10);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.length).toBeLessThan(10);
  });

  it('runs batches of one when maxBatch is 1', async () => {
    const sizes: number[] = [];
    const b = new Batcher(fakeRun(sizes), { maxBatch: 1, maxDelayMs: 0, maxQueue: 100 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => b.submit(image(i))));
    expect(sizes).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses with queue_full beyond maxQueue, and recovers', async () => {
    const b = new Batcher(fakeRun([], 20), { maxBatch: 1, maxDelayMs: 0, maxQueue: 2 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => b.submit(image(i))));
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(HttpError);
      expect((r.reason as HttpError).code).toBe('queue_full');
      expect((r.reason as HttpError).headers['Retry-After']).toBe('1');
    }
    await b.drain();
    await expect(b.submit(image(1))).resolves.toBeDefined();
  });

  it('passes a failed run to every caller in the batch, then keeps working', async () => {
    let fail = true;
    const b = new Batcher(
      async (input, n) => {
        if (fail) throw new Error('session failed');
        return fakeRun([])(input, n);
      },
      { maxBatch: 8, maxDelayMs: 5, maxQueue: 100 },
    );
    const failed = await Promise.allSettled([b.submit(image(1)), b.submit(image(2))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(Array.from((await b.submit(image(3))).logits)).toEqual(Array(NUM_CLASSES).fill(3));
  });

  it('rejects an input of the wrong size', async () => {
    const b = new Batcher(fakeRun([]), { maxBatch: 8, maxDelayMs: 0, maxQueue: 100 });
    await expect(b.submit(new Float32Array(10))).rejects.toThrow(RangeError);
  });

  it('runs up to `concurrency` batches at once, and one at a time by default', async () => {
    const peakOf = async (concurrency?: number) => {
      let running = 0;
      let peak = 0;
      const sizes: number[] = [];
      const q = new BatchQueue<number, number>(
        async (items) => {
          sizes.push(items.length);
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 20));
          running--;
          return items.map((x) => 2 * x);
        },
        { maxBatch: 4, maxDelayMs: 0, maxQueue: 100 },
        {},
        'explanation',
        concurrency,
      );
      const out = await Promise.all(Array.from({ length: 12 }, (_, i) => q.submit(i)));
      expect(out).toEqual(Array.from({ length: 12 }, (_, i) => 2 * i));
      await q.drain();
      return { peak, sizes };
    };
    expect((await peakOf()).peak).toBe(1);
    const two = await peakOf(2);
    expect(two.peak).toBe(2);
    expect(two.sizes.reduce((a, b) => a + b, 0)).toBe(12);
    expect(Math.max(...two.sizes)).toBeLessThanOrEqual(4);
  });
});
