import type { SessionRunner } from '@fmnist/core';
import { ortSessionFactory } from '../ort-session.ts';
import { movable } from './movable.ts';
import type { SessionTask, SessionTaskResult } from './protocol.ts';

/**
 * The sessions owned by this thread. onnxruntime-node's run() is
 * synchronous in whichever thread calls it; here it blocks this thread, not
 * the event loop that parses HTTP requests.
 */
const sessions = new Map<number, SessionRunner>();

export default async function task(t: SessionTask): Promise<SessionTaskResult> {
  if (t.op === 'open') {
    const session = await ortSessionFactory(t.bytes, t.provider, t.threads);
    sessions.set(t.id, session);
    return { inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
  }
  const session = sessions.get(t.id);
  if (!session) throw new Error(`session ${t.id} is not open in this thread`);
  if (t.op === 'close') {
    sessions.delete(t.id);
    await session.release();
    return null;
  }
  const result = await session.run(t.feeds, t.outputs);
  // Outputs are fresh per run: move them instead of copying.
  return movable(
    result,
    Object.values(result).map((w) => w.data.buffer),
  );
}
