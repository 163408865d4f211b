import { describe, expect, it } from 'vitest';
import { confidences, createRng, expectedCalibrationError, fitTemperature, softmaxRows, uncertainThreshold } from '../src/index.ts';

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
