import { NUM_CLASSES } from '../labels.ts';
import { PhotoSetError } from './errors.ts';

/**
 * One labelled photo of a photo set (`labels.json`). `accept` lists every
 * Fashion-MNIST class that counts as a right answer (first = `label`); it is
 * empty where no class fits (shorts, hats, ...).
 */
export interface PhotoEntry {
  file: string;
  /** The photographer: photos by one person share rooms, floors and light, so splits group by it. */
  senderId: number | null;
  /** The source dataset's own label (T-Shirt, Pants, Shoes, ...). */
  sourceLabel: string;
  label: number | null;
  accept: number[];
  /** The mapping to Fashion-MNIST is loose (Longsleeve, Hoodie, Shoes). */
  soft: boolean;
}

/** Bit c set = class c is an accepted answer. One-hot for a plain label. */
export type AcceptMask = number;

export function acceptMask(classes: readonly number[]): AcceptMask {
  let m = 0;
  for (const c of classes) m |= 1 << c;
  return m;
}

export function accepts(mask: AcceptMask, cls: number): boolean {
  return ((mask >>> cls) & 1) === 1;
}

function isClass(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < NUM_CLASSES;
}

/**
 * Validates a parsed labels.json: an array of entries with a unique `file`,
 * a class index or null as `label`, an `accept` list of class indices that
 * starts with `label` (empty when `label` is null). Accepts the sample set's
 * `source_class` for `source_label` and a missing `sender_id` (null: the
 * photo is its own group). Every fault names the entry and the field.
 */
export function parsePhotoLabels(json: unknown, source: string): PhotoEntry[] {
  if (!Array.isArray(json)) throw new PhotoSetError('bad-labels', source, 'labels.json must hold an array of entries');
  const seen = new Set<string>();
  return json.map((raw: unknown, i): PhotoEntry => {
    const where = `entry ${i}`;
    if (typeof raw !== 'object' || raw === null) throw new PhotoSetError('bad-labels', source, `${where} is not an object`);
    const e = raw as Record<string, unknown>;
    const file = e.file;
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new PhotoSetError('bad-labels', source, `${where}: "file" must be a plain file name in the set's folder, got ${JSON.stringify(file)}`);
    }
    if (seen.has(file)) throw new PhotoSetError('duplicate-file', source, `${where}: "${file}" is listed twice`);
    seen.add(file);
    const label = e.label ?? null;
    if (label !== null && !isClass(label))
      throw new PhotoSetError('bad-label', source, `${file}: "label" must be a class index 0..${NUM_CLASSES - 1} or null, got ${JSON.stringify(label)}`);
    const accept = e.accept ?? (label === null ? [] : [label]);
    if (!Array.isArray(accept) || !accept.every(isClass) || new Set(accept).size !== accept.length) {
      throw new PhotoSetError('bad-label', source, `${file}: "accept" must be a list of distinct class indices, got ${JSON.stringify(accept)}`);
    }
    if (label === null ? accept.length > 0 : accept[0] !== label) {
      throw new PhotoSetError(
        'bad-label',
        source,
        `${file}: "accept" must start with "label" (${label}) and be empty when it is null, got ${JSON.stringify(accept)}`,
      );
    }
    const sender = e.sender_id ?? null;
    if (sender !== null && !(typeof sender === 'number' && Number.isInteger(sender)))
      throw new PhotoSetError('bad-labels', source, `${file}: "sender_id" must be an integer, got ${JSON.stringify(sender)}`);
    const sourceLabel = e.source_label ?? e.source_class ?? '';
    if (typeof sourceLabel !== 'string') throw new PhotoSetError('bad-labels', source, `${file}: "source_label" must be a string`);
    return { file, senderId: sender, sourceLabel, label, accept: accept as number[], soft: e.soft === true };
  });
}
