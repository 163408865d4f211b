import { describe, expect, it } from 'vitest';
import { compareOutputs, parityMarkdown } from './parity.ts';

describe('compareOutputs', () => {
  it('measures differences, agreement and both accuracies', () => {
    // Two images, three classes. Image 0: both pick class 2 (label 2). Image 1: tfjs picks 0, onnx picks 1 (label 1).
    const tfjs = Float32Array.from([0, 1, 3, 2, 1, 0]);
    const onnx = Float32Array.from([0, 1, 3.5, 2, 2.5, 0]);
    const stats = compareOutputs(tfjs, onnx, [2, 1]);
    expect(stats.count).toBe(2);
    expect(stats.maxAbs).toBeCloseTo(1.5, 6);
    expect(stats.meanAbs).toBeCloseTo(2 / 6, 6);
    expect(stats.agreement).toBe(1);
    expect(stats.tfjsAccuracy).toBe(0.5);
    expect(stats.onnxAccuracy).toBe(1);
  });

  it('a NaN shows up in max abs instead of vanishing', () => {
    expect(compareOutputs(Float32Array.from([1, 2]), Float32Array.from([1, Number.NaN]), [1]).maxAbs).toBeNaN();
  });

  it('rejects mismatched buffers', () => {
    expect(() => compareOutputs(new Float32Array(4), new Float32Array(6), [0, 1])).toThrow(RangeError);
  });
});

describe('parityMarkdown', () => {
  it('has one row per model with agreement as a fraction', () => {
    const row = {
      model: 'mlp',
      onnx: 'models/mlp.onnx',
      count: 10000,
      maxAbs: 3e-6,
      meanAbs: 4e-7,
      agreement: 10000,
      tfjsAccuracy: 0.8912,
      onnxAccuracy: 0.8912,
    };
    const table = parityMarkdown([row, { ...row, model: 'cnn' }]).split('\n');
    expect(table).toHaveLength(4);
    expect(table[2]).toContain('| mlp | models/mlp.onnx | 10000 | 3.00e-6 |');
    expect(table[2]).toContain('10000 / 10000 | 89.12% | 89.12% |');
  });
});
