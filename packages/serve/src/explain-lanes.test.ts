import { describe, expect, it } from 'vitest';
import type { SessionRunner, TensorValue } from '@fmnist/core';
import { explainLanes, LANE_MS_PER_IMAGE, pooledRunner } from './explain-lanes.ts';

describe('explanation lanes', () => {
  it('one lane for a graph that keeps up with the event loop, more for a slow one, never more than the cores', () => {
    expect(explainLanes(0.3, 2)).toBe(1);
    expect(explainLanes(LANE_MS_PER_IMAGE, 2)).toBe(1);
    expect(explainLanes(1.1, 2)).toBe(2);
    expect(explainLanes(1.1, 8)).toBe(2);
    expect(explainLanes(5, 4)).toBe(4);
    expect(explainLanes(5, 1)).toBe(1);
    expect(explainLanes(Number.NaN, 2)).toBe(1);
  });

  it('a pooled runner sends concurrent runs to different sessions and releases them all', async () => {
    const log: string[] = [];
    const fake = (id: string): SessionRunner => ({
      inputNames: ['input'],
      outputNames: ['out'],
      async run(): Promise<Record<string, TensorValue>> {
        log.push(`${id} start`);
        await new Promise((r) => setTimeout(r, 10));
        log.push(`${id} end`);
        return { out: { type: 'float32', data: new Float32Array([id === 'a' ? 1 : 2]), dims: [1] } as TensorValue };
      },
      async release() {
        log.push(`${id} released`);
      },
    });
    const pool = pooledRunner([fake('a'), fake('b')]);
    expect(pool.inputNames).toEqual(['input']);
    const [x, y] = await Promise.all([pool.run({}), pool.run({})]);
    expect([x!.out!.data[0], y!.out!.data[0]]).toEqual([1, 2]);
    // Both started before either ended: they ran side by side.
    expect(log.slice(0, 2)).toEqual(['a start', 'b start']);
    // A run after both finished goes to the first idle session again.
    await pool.run({});
    expect(log.at(-2)).toBe('a start');
    await pool.release();
    expect(log.filter((l) => l.endsWith('released')).sort()).toEqual(['a released', 'b released']);
    // One session needs no pool.
    const single = fake('c');
    expect(pooledRunner([single])).toBe(single);
    expect(() => pooledRunner([])).toThrow(RangeError);
  });
});
