/**
 * Area-average resampling ("box" filter with fractional coverage): each
 * output pixel is the mean of the input area it covers. For shrinking this
 * is what libvips' reduce and the browser's high-quality scaling approximate,
 * and it never rings, so a white background stays exactly white.
 */
export function resizeArea(src: Float32Array, sw: number, sh: number, channels: number, dw: number, dh: number): Float32Array {
  // Separable: the 2-D coverage weight is the product of a horizontal and a
  // vertical one, so rows are resampled first, then columns (a few
  // multiply-adds per source value instead of a 2-D window per output pixel).
  const cols = coverage(sw, dw);
  const rows = coverage(sh, dh);
  const tmp = new Float32Array(sh * dw * channels);
  for (let y = 0; y < sh; y++) {
    const srcRow = y * sw * channels;
    const tmpRow = y * dw * channels;
    for (let x = 0; x < dw; x++) {
      const { from, weights, total } = cols[x]!;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += src[srcRow + (from + k) * channels + c]! * weights[k]!;
        tmp[tmpRow + x * channels + c] = total > 0 ? acc / total : 0;
      }
    }
  }
  const out = new Float32Array(dw * dh * channels);
  const stride = dw * channels;
  for (let y = 0; y < dh; y++) {
    const { from, weights, total } = rows[y]!;
    const o = y * stride;
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k]! / (total > 0 ? total : 1);
      const t = (from + k) * stride;
      for (let i = 0; i < stride; i++) out[o + i]! += tmp[t + i]! * w;
    }
  }
  return out;
}

interface Coverage {
  from: number;
  weights: Float64Array;
  total: number;
}

/** For each output index, the input indices it covers (from, from+1, ...) and how much of each. */
function coverage(size: number, outSize: number): Coverage[] {
  const scale = size / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const a = o * scale;
    const b = a + scale;
    const from = Math.floor(a);
    const to = Math.min(Math.ceil(b), size);
    const weights = new Float64Array(Math.max(0, to - from));
    let total = 0;
    for (let i = from; i < to; i++) {
      const w = Math.max(0, Math.min(i + 1, b) - Math.max(i, a));
      weights[i - from] = w;
      total += w;
    }
    return { from, weights, total };
  });
}

/** Size that fits `longest` on the longer edge, keeping the aspect ratio (each side at least 1). */
export function fitLongestEdge(width: number, height: number, longest: number): { width: number; height: number } {
  const scale = longest / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
