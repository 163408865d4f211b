/**
 * Light unsharp mask (3x3 box blur, edges clamped): out = in + amount * (in - blur).
 * The original conversion sharpened after shrinking to 28 px, because area
 * averaging softens thin straps and seams that the models learned to see.
 */
export function unsharp(src: Float32Array, w: number, h: number, amount: number): Float32Array {
  if (amount <= 0) return src.slice();
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -1; dx <= 1; dx++) {
          const xx = Math.min(w - 1, Math.max(0, x + dx));
          sum += src[yy * w + xx]!;
        }
      }
      const v = src[y * w + x]!;
      out[y * w + x] = Math.min(255, Math.max(0, v + amount * (v - sum / 9)));
    }
  }
  return out;
}
