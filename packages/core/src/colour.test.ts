import { describe, expect, it } from 'vitest';
import { cividis } from './colour.ts';

describe('cividis', () => {
  it('runs from dark blue to yellow through its anchors, clamping outside [0, 1]', () => {
    expect(cividis(0)).toEqual([0, 32, 77]);
    expect(cividis(0.5)).toEqual([124, 123, 120]);
    expect(cividis(1)).toEqual([255, 234, 70]);
    expect(cividis(-3)).toEqual(cividis(0));
    expect(cividis(7)).toEqual(cividis(1));
    expect(cividis(Number.NaN)).toEqual(cividis(0));
  });

  it('gets lighter all the way, so it also reads in gray', () => {
    const luma = ([r, g, b]: number[]) => 0.299 * r! + 0.587 * g! + 0.114 * b!;
    const steps = Array.from({ length: 101 }, (_, i) => luma(cividis(i / 100)));
    for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThanOrEqual(steps[i - 1]!);
  });
});
