import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES } from '@fmnist/core';
import { selectBackend } from '../src/backend/select.ts';
import { trainingLoss } from '../src/model/loss.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('training loss', () => {
  const logitRows = [
    [2, 0.5, -1, 0, 0, 0.3, 0, 0, 1, -2],
    [0, 0, 0, 3, 0, 0, 0, 0, 0, 0],
  ];
  const labels = [0, 7];
  // -log softmax, by hand.
  const logSoftmax = (row: number[]) => {
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    return row.map((v) => v - lse);
  };
  const expected = (smoothing: number) =>
    logitRows.reduce((sum, row, i) => {
      const lp = logSoftmax(row);
      return sum - lp.reduce((s, v, k) => s + v * ((k === labels[i] ? 1 - smoothing : 0) + smoothing / NUM_CLASSES), 0);
    }, 0);

  it.each([0, 0.1])('is the summed cross-entropy against targets smoothed by %s', (smoothing) => {
    const loss = trainingLoss(tf.tensor1d(labels, 'int32'), tf.tensor2d(logitRows), smoothing, tf.Reduction.SUM);
    expect(loss.dataSync()[0]).toBeCloseTo(expected(smoothing), 4);
  });

  it('smoothing changes the loss', () => {
    expect(Math.abs(expected(0.1) - expected(0))).toBeGreaterThan(0.1);
  });
});
