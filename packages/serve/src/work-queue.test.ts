import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.ts';
import { ClientGoneError, WorkQueue } from './work-queue.ts';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
};

describe('WorkQueue', () => {
  it('runs `concurrency` jobs, queues up to maxWaiting, sheds the rest with 503 + Retry-After, in FIFO order', async () => {
    const shed: string[] = [];
    const q = new WorkQueue({ name: 'decode', concurrency: 2, maxWaiting: 2, maxWaitingCost: Infinity }, { shed: (n) => shed.push(n) });
    const g = gate();
    const order: number[] = [];
    const jobs = [1, 2, 3, 4].map((i) =>
      q.run(1, undefined, async () => {
        await g.opened;
        order.push(i);
      }),
    );
    expect(q.active).toBe(2);
    expect(q.depth).toBe(2);
    expect(q.full).toBe(true);
    const refused = await q.run(1, undefined, async () => 0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(503);
    expect((refused as HttpError).headers['Retry-After']).toBe('1');
    expect(shed).toEqual(['decode']);
    g.open();
    await Promise.all(jobs);
    expect(order).toEqual([1, 2, 3, 4]);
    expect([q.active, q.depth, q.full]).toEqual([0, 0, false]);
  });

  it('bounds the summed cost of waiting jobs, but always admits a lone one', async () => {
    const q = new WorkQueue({ name: 'decode', concurrency: 1, maxWaiting: 100, maxWaitingCost: 10 });
    const g = gate();
    const running = q.run(50, undefined, () => g.opened);
    const big = q.run(50, undefined, async () => 'big'); // alone in the queue: admitted
    await expect(q.run(1, undefined, async () => 'small')).rejects.toBeInstanceOf(HttpError);
    g.open();
    await running;
    expect(await big).toBe('big');
  });

  it('a waiting job whose client has gone leaves the queue without running', async () => {
    const q = new WorkQueue({ name: 'evaluate', concurrency: 1, maxWaiting: 5, maxWaitingCost: Infinity });
    const g = gate();
    const running = q.run(1, undefined, () => g.opened);
    const client = new AbortController();
    let ran = false;
    const waiting = q.run(1, client.signal, async () => (ran = true));
    expect(q.depth).toBe(1);
    client.abort();
    await expect(waiting).rejects.toBeInstanceOf(ClientGoneError);
    expect(q.depth).toBe(0);
    g.open();
    await running;
    expect(ran).toBe(false);
    // Already gone before asking: never queued.
    await expect(q.run(1, client.signal, async () => 1)).rejects.toBeInstanceOf(ClientGoneError);
  });
});
