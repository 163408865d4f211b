import { describe, expect, it } from 'vitest';
import {
  confidences,
  createRng,
  crossFittedCalibrationError,
  expectedCalibrationError,
  fitTemperature,
  softmaxRows,
  uncertainThreshold,
} from '../src/index.ts';

describe('calibration', () => {
  it('softmax with a temperature, by hand', () => {
    const p = softmaxRows([1, 2, 3], 2, 3);
    const e = [Math.exp(0.5), Math.exp(1), Math.exp(1.5)];
    const s = e[0]! + e[1]! + e[2]!;
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / s, 6));
  });

  it('ECE of a hand-made case', () => {
    // Bin [0.8, 0.867): stated 0.8 twice, right once -> gap 0.3; bin of 0.3: right never -> gap 0.3.
    expect(expectedCalibrationError([0.8, 0.8, 0.3], [true, false, false])).toBeCloseTo((2 * 0.3 + 0.3) / 3, 6);
  });

  it('recovers the temperature that made over-confident logits, and lowers ECE', () => {
    // Logits of a well-calibrated 3-class model, scaled by 4: overconfident.
    const rng = createRng(3);
    const n = 4000;
    const logits = new Float32Array(n * 3);
    const right: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const row = [rng() * 3, rng() * 3, rng() * 3];
      const p = softmaxRows(row, 1, 3);
      const top = p.indexOf(Math.max(...p));
      right.push(rng() < p[top]!);
      row.forEach((v, c) => (logits[i * 3 + c] = 4 * v));
    }
    const t = fitTemperature(logits, right, 3);
    expect(t).toBeGreaterThan(3.4);
    expect(t).toBeLessThan(4.6);
    const before = expectedCalibrationError(confidences(softmaxRows(logits, 1, 3), 3), right);
    const after = expectedCalibrationError(confidences(softmaxRows(logits, t, 3), 3), right);
    expect(after).toBeLessThan(0.03);
    expect(before).toBeGreaterThan(0.1);
  });

  it('cross-fits: each group calibrated with the temperature of the others, then one ECE over all rows', () => {
    const rng = createRng(5);
    // Two groups whose logits are overconfident by different scales (2 and 5).
    const rows = (scale: number, n: number) => {
      const logits: number[] = [];
      const right: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const row = [rng() * 3, rng() * 3, rng() * 3];
        const p = softmaxRows(row, 1, 3);
        right.push(rng() < Math.max(...p));
        logits.push(...row.map((v) => scale * v));
      }
      return { logits, right };
    };
    const a = rows(2, 1500);
    const b = rows(5, 1500);
    const logits = [...a.logits, ...b.logits];
    const right = [...a.right, ...b.right];
    const group = [...a.right.map(() => 0), ...b.right.map(() => 1)];
    // By hand: B's temperature calibrates A and A's calibrates B.
    const tA = fitTemperature(a.logits, a.right, 3);
    const tB = fitTemperature(b.logits, b.right, 3);
    const byHand = expectedCalibrationError([...confidences(softmaxRows(a.logits, tB, 3), 3), ...confidences(softmaxRows(b.logits, tA, 3), 3)], right);
    const crossFitted = crossFittedCalibrationError(logits, right, group, 3);
    expect(crossFitted).toBeCloseTo(byHand, 8); // the function holds logits as float32
    // A temperature that does not carry over between groups shows: worse than fitting on everything at once.
    const inSample = expectedCalibrationError(confidences(softmaxRows(logits, fitTemperature(logits, right, 3), 3), 3), right);
    expect(crossFitted).toBeGreaterThan(inSample + 0.05);
    // One scale throughout: the cross-fitted figure is as good as the in-sample one.
    const c = rows(4, 3000);
    const halves = c.right.map((_, i) => i % 2);
    expect(crossFittedCalibrationError(c.logits, c.right, halves, 3)).toBeLessThan(0.03);
    expect(() =>
      crossFittedCalibrationError(
        c.logits,
        c.right,
        c.right.map(() => 0),
        3,
      ),
    ).toThrow(/two groups/);
  });

  it('puts the uncertain threshold between wrong and right answers', () => {
    const conf = [0.2, 0.3, 0.35, 0.4, 0.8, 0.85, 0.9, 0.95];
    const wrong = [true, true, true, true, false, false, false, false];
    const { threshold, flaggedWrong, flaggedRight } = uncertainThreshold(conf, wrong);
    expect(threshold).toBeGreaterThan(0.4);
    expect(threshold).toBeLessThanOrEqual(0.8);
    expect(flaggedWrong).toBe(1);
    expect(flaggedRight).toBe(0);
  });
});
