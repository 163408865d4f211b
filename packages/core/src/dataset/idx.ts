import { DatasetError } from '../errors.ts';

/**
 * IDX format (LeCun's MNIST format): two zero bytes, a dtype byte, a rank
 * byte, then `rank` big-endian uint32 dimensions and the row-major data.
 * Fashion-MNIST uses only dtype 0x08 (unsigned byte).
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses raw (already decompressed) IDX bytes; `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank?: number): IdxArray {
  if (bytes.length < 4) throw new DatasetError('truncated', file, `only ${bytes.length} bytes, an IDX header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError('bad-magic', file, `magic number starts ${hex(bytes[0]!)} ${hex(bytes[1]!)}, IDX files start 00 00`);
  }
  if (bytes[2] !== UBYTE) throw new DatasetError('bad-dtype', file, `dtype ${hex(bytes[2]!)}; Fashion-MNIST files hold unsigned bytes (0x08)`);
  const rank = bytes[3]!;
  if (rank === 0 || (expectedRank !== undefined && rank !== expectedRank)) {
    throw new DatasetError('bad-magic', file, `rank ${rank} in the magic number, expected ${expectedRank ?? '>= 1'}`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw new DatasetError('truncated', file, `header needs ${headerLength} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw new DatasetError('bad-dims', file, `dimension of size 0 in [${dims.join(', ')}]`);
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual < expected) throw new DatasetError('truncated', file, `dimensions [${dims.join(', ')}] need ${expected} data bytes, found ${actual}`);
  if (actual > expected)
    throw new DatasetError('trailing-bytes', file, `${actual - expected} bytes after the data that dimensions [${dims.join(', ')}] describe`);
  return { dims, data: bytes.subarray(headerLength) };
}

/** Writes IDX bytes (used by tests and by clients that upload an IDX pair). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = UBYTE;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
