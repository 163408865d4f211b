import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { convCaseName, convCases, convGradOnBoth, maxAbsDiff, onBoth, randn, TOLERANCE, useWasmKernels } from '../../../test/support/wasm-vs-cpu.ts';
import { createRng } from '../../random.ts';
import { oneDnn } from '../native/onednn.ts';

const status = oneDnn();
if (!status.loaded) {
  if (process.env.REQUIRE_ONEDNN === '1') throw new Error(`REQUIRE_ONEDNN=1 but the oneDNN addon is not loaded: ${status.reason}`);
  console.warn(`skipping the oneDNN convolution tests: ${status.reason}`);
}

useWasmKernels({ oneDnn: true });

describe.skipIf(!status.loaded)('oneDNN convolutions (native/) match the cpu backend', () => {
  const rng = createRng(23);
  // Which passes went to the addon: a case that fell back to the wasm kernels would pass the comparisons too.
  // (A wrapper by hand: vitest's spy does not pass a native function its arguments.)
  const seen: string[] = [];
  if (status.loaded) {
    const conv = status.addon.conv;
    status.addon.conv = (...args) => {
      seen.push(`${args[0]}${args[5] ? '+bias' : ''}${args[6] ? '+relu' : ''}`);
      conv(...args);
    };
  }
  beforeEach(() => {
    seen.length = 0;
  });
  const modes = () => new Set(seen);
  for (const c of convCases(14)) {
    it(`forward, fused with bias and ReLU, and both gradients: ${convCaseName(c)}`, async () => {
      const filterShape: [number, number, number, number] = [...c.k, c.x[3], c.outChannels];
      const xv = randn(
        rng,
        c.x.reduce((a, b) => a * b),
      );
      const wv = randn(
        rng,
        filterShape.reduce((a, b) => a * b),
      );
      const bv = randn(rng, c.outChannels);
      const plain = await onBoth(() => tf.conv2d(tf.tensor4d(xv, c.x), tf.tensor4d(wv, filterShape), c.stride, c.pad));
      expect(maxAbsDiff(plain.cpu, plain.wasm)).toBeLessThanOrEqual(TOLERANCE * 10);
      const fused = await onBoth(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(xv, c.x),
          filter: tf.tensor4d(wv, filterShape),
          strides: c.stride,
          pad: c.pad,
          bias: tf.tensor1d(bv),
          activation: 'relu',
        }),
      );
      expect(maxAbsDiff(fused.cpu, fused.wasm)).toBeLessThanOrEqual(TOLERANCE * 10);
      expect(fused.wasm.some((v) => v === 0) && fused.wasm.some((v) => v > 0)).toBe(true); // ReLU applied, and not everything cut
      const dx = await convGradOnBoth(c, rng, 0);
      expect(maxAbsDiff(dx.cpu, dx.wasm)).toBeLessThanOrEqual(TOLERANCE);
      const dw = await convGradOnBoth(c, rng, 1);
      expect(maxAbsDiff(dw.cpu, dw.wasm)).toBeLessThanOrEqual(TOLERANCE);
      expect([...modes()].sort()).toEqual(['0', '0+bias+relu', '1', '2']);
    });
  }

  it('leaves what it does not handle to the kernels it wraps: dilations, and fused activations other than ReLU', async () => {
    const xv = randn(rng, 2 * 9 * 9 * 3);
    const wv = randn(rng, 3 * 3 * 3 * 4);
    const dilated = await onBoth(() => tf.conv2d(tf.tensor4d(xv, [2, 9, 9, 3]), tf.tensor4d(wv, [3, 3, 3, 4]), 1, 'same', 'NHWC', 2));
    expect(maxAbsDiff(dilated.cpu, dilated.wasm)).toBeLessThanOrEqual(TOLERANCE * 10);
    const elu = await onBoth(() =>
      tf.fused.conv2d({ x: tf.tensor4d(xv, [2, 9, 9, 3]), filter: tf.tensor4d(wv, [3, 3, 3, 4]), strides: 1, pad: 'valid', activation: 'elu' }),
    );
    expect(maxAbsDiff(elu.cpu, elu.wasm)).toBeLessThanOrEqual(TOLERANCE * 10);
    expect(seen).toEqual([]);
  });
});
