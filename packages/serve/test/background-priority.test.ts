import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE } from '../src/decode.ts';
import { lowerThisThread } from '../src/threads/background-priority.ts';
import { ImagePool } from '../src/threads/image-pool.ts';

/** Niceness of each thread of this process, by thread id (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The command name may hold spaces: count fields after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Niceness of each thread a new image pool started while preparing one small photo (the pool is closed after). */
async function poolThreadNiceness(nice: number): Promise<number[]> {
  const known = new Set(threadNiceness().keys());
  const pool = new ImagePool(1, nice);
  try {
    const photo = new Uint8Array(
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#203060' } })
        .png()
        .toBuffer(),
    );
    await pool.prepare(photo, DEFAULT_DECODE, {});
    return [...threadNiceness()].filter(([tid]) => !known.has(tid)).map(([, n]) => n);
  } finally {
    await pool.close();
  }
}

describe.runIf(process.platform === 'linux')('background priority of the photo threads', () => {
  it('runs the image pool at the niceness it is given, and leaves the calling thread as it was', async () => {
    const before = getPriority(0);
    // The pool's thread took 7.
    expect(await poolThreadNiceness(7)).toContain(7);
    expect(getPriority(0)).toBe(before);
  });

  it("0 leaves the pool's threads at the process's priority", async () => {
    const started = await poolThreadNiceness(0);
    expect(started.length).toBeGreaterThan(0);
    expect(started.every((nice) => nice === getPriority(0))).toBe(true);
  });

  it("never raises a thread's priority (that would need a privilege, and undo an operator's choice)", () => {
    // This test's own thread: made nicer than asked first, it stays so.
    setPriority(0, Math.max(getPriority(0), 12));
    const before = getPriority(0);
    expect(lowerThisThread(10)).toBe(before);
    expect(getPriority(0)).toBe(before);
    expect(lowerThisThread(before + 1)).toBe(before + 1);
  });
});
