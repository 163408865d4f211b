import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, INPUT_CONTRACT, onnxInputDims } from './contract.ts';

describe('onnxInputDims', () => {
  it('is the ONNX shape with the batch filled in, holding IMAGE_PIXELS per image', () => {
    expect(onnxInputDims(5)).toEqual([5, ...INPUT_CONTRACT.onnxShape.slice(1)]);
    expect(onnxInputDims(1).reduce((a, b) => a * b, 1)).toBe(IMAGE_PIXELS);
  });
});
