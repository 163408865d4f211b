import { describe, expect, it } from 'vitest';
import { argmaxRows, confusionMatrix, metricsFromConfusion, topConfusions } from '../src/index.ts';

describe('metrics', () => {
  // 3 classes: rows are true labels, columns predictions.
  const confusion = [
    [5, 1, 0],
    [2, 3, 1],
    [0, 0, 4],
  ];

  it('computes accuracy, per-class precision/recall/F1 and macro means', () => {
    const m = metricsFromConfusion(confusion, ['a', 'b', 'c']);
    expect(m.count).toBe(16);
    expect(m.accuracy).toBeCloseTo(12 / 16);
    const [a, b, c] = m.perClass;
    expect(a).toMatchObject({ name: 'a', support: 6 });
    expect(a!.precision).toBeCloseTo(5 / 7);
    expect(a!.recall).toBeCloseTo(5 / 6);
    expect(a!.f1).toBeCloseTo((2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6));
    expect(b!.precision).toBeCloseTo(3 / 4);
    expect(b!.recall).toBeCloseTo(3 / 6);
    expect(c!.precision).toBeCloseTo(4 / 5);
    expect(c!.recall).toBeCloseTo(1);
    expect(m.macro.precision).toBeCloseTo((5 / 7 + 3 / 4 + 4 / 5) / 3);
    expect(m.macro.recall).toBeCloseTo((5 / 6 + 1 / 2 + 1) / 3);
  });

  it('gives a never-predicted class precision 0 rather than NaN', () => {
    const m = metricsFromConfusion(
      [
        [2, 0],
        [1, 0],
      ],
      ['x', 'y'],
    );
    expect(m.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('builds the matrix from labels and finds the top confusions', () => {
    const truth = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2];
    const pred = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
    expect(confusionMatrix(truth, pred, 3)).toEqual(confusion);
    expect(topConfusions(confusion, 2, ['a', 'b', 'c'])).toEqual([
      { truth: 'b', predicted: 'a', count: 2 },
      { truth: 'a', predicted: 'b', count: 1 },
    ]);
    expect(() => confusionMatrix([0, 1], [0])).toThrow(RangeError);
  });

  it('takes the argmax of each row', () => {
    expect([...argmaxRows([0.1, 0.7, 0.2, 3, -1, 2], 3)]).toEqual([1, 0]);
  });
});
