import { move, transferableSymbol, valueSymbol } from 'piscina';

/**
 * Wraps a task result so piscina transfers `buffers` instead of copying
 * them. The value must not be used by the sender afterwards.
 */
export function movable<T extends object>(value: T, buffers: ArrayBufferLike[]): T {
  const unique = [...new Set(buffers)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
  // piscina unwraps a moved object carrying these two symbols, so the receiver sees T itself.
  return move({ [transferableSymbol]: unique, [valueSymbol]: value }) as unknown as T;
}

/** Whether `bytes` spans the whole of its buffer, which can then be moved to a thread instead of copied. */
export function spansBuffer(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
