import { describe, expect, it } from 'vitest';
import { toLab } from './colour-space.ts';

const lab = (rgb: number[], weight = 1) => Array.from(toLab({ width: 1, height: 1, data: Float32Array.from(rgb) }, weight).data).map((v) => v / 2.55);

describe('toLab', () => {
  it('gives the CIELAB (D65) of sRGB colours, scaled by 2.55', () => {
    // Reference values: the CIE formulas with the sRGB matrix, as colour tools (e.g. colormine, Bruce Lindbloom) give them.
    const cases: [number[], number[]][] = [
      [
        [255, 255, 255],
        [100, 0, 0],
      ],
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      [
        [255, 0, 0],
        [53.24, 80.09, 67.2],
      ],
      [
        [0, 128, 0],
        [46.23, -51.7, 49.9],
      ],
      [
        [128, 128, 128],
        [53.59, 0, 0],
      ],
    ];
    for (const [rgb, expected] of cases) {
      const got = lab(rgb);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - expected[c]!), `${rgb} channel ${c}`).toBeLessThan(0.05);
    }
  });

  it('weights lightness alone', () => {
    const full = lab([200, 120, 40]);
    const half = lab([200, 120, 40], 0.5);
    expect(half[0]).toBeCloseTo(full[0]! / 2, 4);
    expect(half.slice(1)).toEqual(full.slice(1));
  });
});
