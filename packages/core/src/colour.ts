/**
 * Anchors of the cividis colour map (Nuñez, Anderton & Renslow 2018):
 * blue to yellow, designed to read the same for the common colour-vision
 * deficiencies, with lightness rising monotonically (so it also reads in gray).
 * The server's PNG overlays and the web demo's heatmaps both draw with it.
 */
const CIVIDIS: readonly (readonly [number, number, number])[] = [
  [0, 32, 77],
  [65, 77, 107],
  [124, 123, 120],
  [188, 175, 111],
  [255, 234, 70],
];

/** A heat value in [0, 1] (clamped; not-a-number as 0) as an RGB colour of the map (linear between anchors). */
export function cividis(value: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isNaN(value) ? 0 : value)) * (CIVIDIS.length - 1);
  const i = Math.min(CIVIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [CIVIDIS[i]!, CIVIDIS[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}
