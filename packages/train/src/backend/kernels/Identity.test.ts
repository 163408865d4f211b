import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { randn, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';

useWasmKernels();

describe('wasm Identity', () => {
  it('(clone) shares the data without a copy, and each handle outlives the other', () => {
    const values = randn(createRng(18), 4096);
    const a = tf.tensor(values, [64, 64]);
    const buffers = tf.memory().numDataBuffers;
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual(Array.from(Float32Array.from(values)));
    const c = tf.clone(b);
    b.dispose();
    expect(c.dataSync()[4095]).toBe(Math.fround(values[4095]!));
    c.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });
});
