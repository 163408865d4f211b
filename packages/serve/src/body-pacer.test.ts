import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BodyPacer } from './body-pacer.ts';
import { readInspecting } from './upload.ts';

describe('BodyPacer', () => {
  it('grants a turn its budget, then defers to the next turn, whose budget is fresh', async () => {
    const pacer = new BodyPacer(100);
    expect(pacer.take(60)).toBe(true);
    expect(pacer.take(60)).toBe(false);
    let resumed = false;
    pacer.next(() => {
      resumed = true;
    });
    expect(resumed).toBe(false);
    await nextTurn();
    expect(resumed).toBe(true);
    expect(pacer.take(60)).toBe(true);
  });
});

/** A request body that arrives as fast as it is read, in 64 kB chunks, like a socket with a full receive buffer. */
function fastBody(bytes: Uint8Array): IncomingMessage {
  let at = 0;
  const body = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      while (at < bytes.length) {
        const chunk = bytes.subarray(at, at + 64 * 1024);
        at += chunk.length;
        if (!this.push(chunk)) return;
      }
      this.push(null);
    },
  });
  return Object.assign(body, { headers: { 'content-length': String(bytes.length) } }) as unknown as IncomingMessage;
}

describe('readInspecting with a pacer', () => {
  const bytes = Uint8Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 7) & 255);

  it('reads a body over many turns, at most the budget and one chunk in each, and keeps every byte', async () => {
    const budget = 128 * 1024;
    const incoming = fastBody(bytes);
    const perTurn: number[] = [0];
    incoming.on('data', (chunk: Buffer) => {
      perTurn[perTurn.length - 1]! += chunk.length;
    });
    let reading = true;
    const turns = (async () => {
      while (reading) {
        await nextTurn();
        perTurn.push(0);
      }
    })();
    const body = await readInspecting(incoming, () => {}, new BodyPacer(budget));
    reading = false;
    await turns;
    expect(Buffer.compare(Buffer.from(body), Buffer.from(bytes))).toBe(0);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(budget + 64 * 1024);
    expect(perTurn.filter((n) => n > 0).length).toBeGreaterThanOrEqual(bytes.length / (budget + 64 * 1024));
  });

  it('without one, the same body arrives in a single turn', async () => {
    const incoming = fastBody(bytes);
    let turns = 0;
    let reading = true;
    const counter = (async () => {
      while (reading) {
        await nextTurn();
        turns++;
      }
    })();
    await readInspecting(incoming, () => {});
    reading = false;
    await counter;
    expect(turns).toBeLessThanOrEqual(2);
  });

  it('leaves a refused body paused, never drained, even with a resume pending', async () => {
    const incoming = fastBody(bytes);
    let delivered = 0;
    incoming.on('data', (chunk: Buffer) => {
      delivered += chunk.length;
    });
    const refused = readInspecting(
      incoming,
      () => {
        throw new Error('refused');
      },
      new BodyPacer(16 * 1024),
    );
    await expect(refused).rejects.toThrow('refused');
    const atRefusal = delivered;
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(delivered).toBe(atRefusal);
    expect(delivered).toBeLessThan(bytes.length);
  });
});
