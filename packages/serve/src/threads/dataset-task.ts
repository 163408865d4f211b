import { unpackDataset } from '../dataset-upload.ts';
import { movable } from './movable.ts';
import type { DatasetTask, DatasetTaskResult } from './protocol.ts';
import { faultAsData } from './task-fault.ts';

/**
 * Node's allocation pool hands out slices of shared 8 kB buffers: moving one
 * would take the rest of the slab from this thread. A view into a buffer of
 * its own size or larger is moved as it is; a smaller one is copied first.
 */
function ownBuffer(view: Uint8Array): Uint8Array {
  return view.buffer.byteLength > Buffer.poolSize ? view : new Uint8Array(view);
}

/** Unpack one uploaded IDX pair in a pool thread; client faults come back as data, anything else as a thrown error. */
export default function task(t: DatasetTask): DatasetTaskResult {
  try {
    const split = unpackDataset(t.images, t.labels, t.maxImages);
    const images = ownBuffer(split.images);
    const labels = ownBuffer(split.labels);
    return movable({ ok: true, count: split.count, images, labels }, [images.buffer, labels.buffer]);
  } catch (err) {
    return faultAsData(err);
  }
}
