import { describe, expect, it } from 'vitest';
import { Add } from './Add.ts';
import { expectMatchesOnnxruntime, randomTensor } from './against-onnxruntime.ts';

describe('Add', () => {
  it('matches onnxruntime on equal shapes (the residual add)', async () => {
    await expectMatchesOnnxruntime('Add', [randomTensor([1, 4, 5, 5], 1), randomTensor([1, 4, 5, 5], 2)], {}, { tolerance: 0 });
  });
  it('refuses broadcasting it does not implement', () => {
    expect(() => Add([randomTensor([2, 3], 1), randomTensor([3], 2)], new Map())).toThrow(/broadcasting/);
  });
});
