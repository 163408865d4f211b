/**
 * Area-average resampling ("box" filter with fractional coverage): each
 * output pixel is the mean of the input area it covers. For shrinking this
 * is what libvips' reduce and the browser's high-quality scaling approximate,
 * and it never rings, so a white background stays exactly white.
 */
export function resizeArea(src: Float32Array, sw: number, sh: number, channels: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * channels);
  const sx = sw / dw;
  const sy = sh / dh;
  const acc = new Float64Array(channels);
  for (let y = 0; y < dh; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < dw; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      acc.fill(0);
      let total = 0;
      for (let yy = Math.floor(y0); yy < Math.min(Math.ceil(y1), sh); yy++) {
        const wy = Math.min(yy + 1, y1) - Math.max(yy, y0);
        if (wy <= 0) continue;
        for (let xx = Math.floor(x0); xx < Math.min(Math.ceil(x1), sw); xx++) {
          const wx = Math.min(xx + 1, x1) - Math.max(xx, x0);
          if (wx <= 0) continue;
          const w = wx * wy;
          total += w;
          const base = (yy * sw + xx) * channels;
          for (let c = 0; c < channels; c++) acc[c]! += src[base + c]! * w;
        }
      }
      const o = (y * dw + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = total > 0 ? acc[c]! / total : 0;
    }
  }
  return out;
}

/** Size that fits `longest` on the longer edge, keeping the aspect ratio (each side at least 1). */
export function fitLongestEdge(width: number, height: number, longest: number): { width: number; height: number } {
  const scale = longest / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
