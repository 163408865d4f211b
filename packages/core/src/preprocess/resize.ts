/**
 * Area-average resampling ("box" filter with fractional coverage): each
 * output pixel is the mean of the input area it covers. For shrinking this
 * is what libvips' reduce and the browser's high-quality scaling approximate,
 * and it never rings, so a white background stays exactly white.
 */
export function resizeArea(src: Float32Array, sw: number, sh: number, channels: number, dw: number, dh: number): Float32Array {
  const stride = sw * channels;
  return resizeRows((y) => src.subarray(y * stride, (y + 1) * stride), sw, sh, channels, dw, dh);
}

/**
 * resizeArea over rows that `row(y)` hands over on demand (sw * channels
 * values; it may reuse one buffer), so a large photo is never widened to
 * floats in full: an opaque RGB photo is read straight from its bytes.
 */
export function resizeRows(row: (y: number) => ArrayLike<number>, sw: number, sh: number, channels: number, dw: number, dh: number): Float32Array {
  // Separable: the 2-D coverage weight is the product of a horizontal and a
  // vertical one, so rows are resampled first, then columns (a few
  // multiply-adds per source value instead of a 2-D window per output pixel).
  const cols = coverage(sw, dw);
  const rows = coverage(sh, dh);
  const tmp = new Float32Array(sh * dw * channels);
  for (let y = 0; y < sh; y++) {
    const r = row(y);
    const tmpRow = y * dw * channels;
    for (let x = 0; x < dw; x++) {
      const { from, weights, total } = cols[x]!;
      const norm = total > 0 ? 1 / total : 0;
      const o = tmpRow + x * channels;
      // Channels innermost, so each source pixel's values are read together (the common RGB case unrolled).
      if (channels === 3) {
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let k = 0, p = from * 3; k < weights.length; k++, p += 3) {
          const w = weights[k]!;
          a0 += r[p]! * w;
          a1 += r[p + 1]! * w;
          a2 += r[p + 2]! * w;
        }
        tmp[o] = a0 * norm;
        tmp[o + 1] = a1 * norm;
        tmp[o + 2] = a2 * norm;
      } else {
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let k = 0; k < weights.length; k++) acc += r[(from + k) * channels + c]! * weights[k]!;
          tmp[o + c] = acc * norm;
        }
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
