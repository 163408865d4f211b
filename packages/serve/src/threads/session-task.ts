import ort from 'onnxruntime-node';
import { ortSessionFactory, type Session } from '../registry.ts';
import { movable } from './movable.ts';
import type { SessionTask, SessionTaskResult, WireTensor } from './protocol.ts';

/**
 * The sessions owned by this thread. onnxruntime-node's run() is
 * synchronous in whichever thread calls it; here it blocks this thread, not
 * the event loop that parses HTTP requests.
 */
const sessions = new Map<number, Session>();

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
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, w] of Object.entries(t.feeds)) feeds[name] = w.type === 'int64' ? new ort.Tensor('int64', w.data, w.dims) : new ort.Tensor('float32', w.data, w.dims);
  const out = await session.run(feeds, t.outputs);
  const result: Record<string, WireTensor> = {};
  for (const [name, tensor] of Object.entries(out)) result[name] = toWire(tensor as ort.Tensor);
  // Outputs are fresh per run: move them instead of copying.
  return movable(result, Object.values(result).map((w) => w.data.buffer));
}

/** Outputs are float32 or, for an explanation graph's `explained_class`, int64. */
function toWire(tensor: ort.Tensor): WireTensor {
  if (tensor.type === 'int64') return { type: 'int64', data: tensor.data as BigInt64Array, dims: tensor.dims };
  if (tensor.type === 'float32') return { type: 'float32', data: tensor.data as Float32Array, dims: tensor.dims };
  throw new TypeError(`output of type ${tensor.type}: the models' outputs are float32 or int64`);
}
