import { prepareImage } from '../prepare.ts';
import { movable } from './movable.ts';
import type { ImageTask, ImageTaskResult } from './protocol.ts';
import { faultAsData } from './task-fault.ts';

/** Decode and preprocess one upload in a pool thread; client faults come back as data, anything else as a thrown error. */
export default async function task(t: ImageTask): Promise<ImageTaskResult> {
  try {
    const prepared = await prepareImage(t.bytes, t.decode, t.preprocess, t.plan);
    return movable({ ok: true, ...prepared }, [prepared.pixels.buffer]);
  } catch (err) {
    return faultAsData(err);
  }
}
