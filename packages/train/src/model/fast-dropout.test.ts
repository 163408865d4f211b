import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.ts';
import { dropoutMask, fastDropout } from './fast-dropout.ts';
import { withSeededMathRandom } from '../random.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('fast dropout', () => {
  it('keeps each unit with probability 1 - rate, scaled by 1 / (1 - rate)', () => {
    const values = dropoutMask([100, 1000], 0.3, 7).dataSync();
    const kept = values.filter((v) => v !== 0);
    expect(kept.length / values.length).toBeGreaterThan(0.69);
    expect(kept.length / values.length).toBeLessThan(0.71);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
  });

  it('draws the same mask from the same seed and another from another seed', () => {
    const a = dropoutMask([4096], 0.5, 1).dataSync();
    const b = dropoutMask([4096], 0.5, 1).dataSync();
    const c = dropoutMask([4096], 0.5, 2).dataSync();
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('passes inputs through at inference and masks them, with their gradient, in training', async () => {
    const layer = fastDropout(0.25);
    const x = tf.randomUniform([8, 6, 6, 4], 0.5, 1.5, 'float32', 3);
    expect(Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    await withSeededMathRandom(5, async () => {
      const [y, grad] = tf.tidy(() => {
        const out = layer.apply(x, { training: true }) as tf.Tensor;
        return [out, tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(x)];
      });
      const ys = y.dataSync();
      const xs = x.dataSync();
      const dropped = ys.filter((v) => v === 0).length / ys.length;
      expect(dropped).toBeGreaterThan(0.15);
      expect(dropped).toBeLessThan(0.35);
      ys.forEach((v, i) => {
        if (v !== 0) expect(v).toBeCloseTo(xs[i]! / 0.75, 5);
      });
      // The gradient of a sum through dropout is the mask itself.
      expect(new Set(grad.dataSync())).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    });
  });

  it('serializes as the stock Dropout layer', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2] }), fastDropout(0.3)] });
    const json = model.toJSON(undefined, false) as { config: { layers: { class_name: string; config: { rate: number } }[] } };
    const layer = json.config.layers.at(-1)!;
    expect(layer.class_name).toBe('Dropout');
    expect(layer.config.rate).toBe(0.3);
  });
});
