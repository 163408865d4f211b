import { describe, expect, it } from 'vitest';
import { hwioToOihw, nhwcToNchw } from './layout.ts';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('tensor layouts', () => {
  it('moves a kernel [kh, kw, in, out] to [out, in, kh, kw]', () => {
    const [kh, kw, cin, cout] = [2, 3, 4, 5];
    const out = hwioToOihw(iota(kh * kw * cin * cout), [kh, kw, cin, cout]);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) expect(out[((o * cin + i) * kh + y) * kw + x]).toBe(((y * kw + x) * cin + i) * cout + o);
  });

  it('moves a batch [n, h, w, c] to [n, c, h, w], and returns one channel as it is', () => {
    const [n, h, w, c] = [2, 3, 4, 3];
    const out = nhwcToNchw(iota(n * h * w * c), [n, h, w, c]);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) expect(out[((b * c + ch) * h + y) * w + x]).toBe(((b * h + y) * w + x) * c + ch);
    const single = iota(12);
    expect(nhwcToNchw(single, [1, 3, 4, 1])).toBe(single);
  });
});
