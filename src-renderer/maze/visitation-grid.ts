/** Heat colour ramp of the visitation map: pale yellow → orange → dark red. */
const RAMP: readonly [number, number, number][] = [
  [255, 247, 188],
  [254, 196, 79],
  [236, 112, 20],
  [153, 52, 4],
];

/** Intensity of `count` against the largest count on a log scale: log(1 + c) / log(1 + max). */
export function visitIntensity(count: number, max: number): number {
  if (max <= 0 || count <= 0) return 0;
  return Math.min(1, Math.log1p(count) / Math.log1p(max));
}

/** The ramp colour at intensity x ∈ [0, 1], linearly interpolated between its stops, as "rgb(r, g, b)". */
export function heatColor(x: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
  const scaled = clamped * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(scaled));
  const f = scaled - i;
  const a = RAMP[i] as [number, number, number];
  const b = RAMP[i + 1] as [number, number, number];
  const mix = (k: 0 | 1 | 2): number => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** The largest count, checking the grid holds rows × cols counts. */
export function maxCount(counts: readonly number[], rows: number, cols: number): number {
  if (counts.length !== rows * cols) {
    throw new RangeError(
      `maxCount: counts has ${counts.length} entries, expected rows × cols = ${rows * cols}`,
    );
  }
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  return max;
}
