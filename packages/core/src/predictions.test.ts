import { describe, expect, it } from 'vitest';
import { CLASS_NAMES } from './labels.ts';
import { topK } from './predictions.ts';

describe('topK', () => {
  it('orders classes by probability and names them', () => {
    const top = topK([0.05, 0.1, 0.02, 0.03, 0.5, 0.08, 0.12, 0.05, 0.03, 0.02], 3);
    expect(top).toEqual([
      { index: 4, name: CLASS_NAMES[4], probability: 0.5 },
      { index: 6, name: CLASS_NAMES[6], probability: 0.12 },
      { index: 1, name: CLASS_NAMES[1], probability: 0.1 },
    ]);
  });
  it('breaks ties by the lower class index, whatever order the input sorts in', () => {
    const tied = [0, 0, 0, 0.25, 0, 0, 0.25, 0, 0.25, 0.25];
    expect(topK(tied, 4).map((p) => p.index)).toEqual([3, 6, 8, 9]);
    expect(topK(Float32Array.from(tied), 2).map((p) => p.index)).toEqual([3, 6]);
  });
  it('uses the names it is given and returns every class when k exceeds their count', () => {
    const names = ['a', 'b', 'c'];
    expect(topK([0.2, 0.5, 0.3], 9, names).map((p) => p.name)).toEqual(['b', 'c', 'a']);
  });
  it('refuses a vector whose length is not the number of classes', () => {
    expect(() => topK([0.5, 0.5], 1)).toThrow(/expected 10 probabilities, got 2/);
    expect(() => topK([1], 1, ['a', 'b'])).toThrow(RangeError);
  });
});
