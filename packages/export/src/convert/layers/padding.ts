/**
 * Explicit ONNX pads for tfjs padding on one spatial axis. TF's 'same' puts
 * the odd pixel at the end (bottom/right), which explicit pads reproduce
 * exactly; auto_pad would tie the graph to the runtime's interpretation.
 */
export function padsFor(padding: 'valid' | 'same', size: number, kernel: number, stride: number): { before: number; after: number; out: number } {
  if (padding === 'valid') return { before: 0, after: 0, out: Math.floor((size - kernel) / stride) + 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}
