/**
 * Row and column rulers of a heatmap: which indices get a tick and where, for the current pan and
 * zoom of one axis (offset = screen position of index 0's edge, scale = CSS px per cell).
 */

export interface RulerTick {
  index: number;
  /** Screen position of the cell's centre along the ruler (CSS px). */
  position: number;
}

export interface RulerBand {
  label: string;
  /** Visible extent along the ruler (CSS px), clipped to [0, length]. */
  start: number;
  end: number;
}

const STEPS = [1, 2, 5] as const;

/** The smallest step of 1, 2 or 5 × 10^k (at least 1) whose ticks lie ≥ minSpacingPx apart. */
export function rulerStep(scale: number, minSpacingPx: number): number {
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new RangeError(`rulerStep: scale must be a positive number, got ${scale}`);
  if (!(minSpacingPx > 0)) throw new RangeError(`rulerStep: minSpacingPx must be > 0, got ${minSpacingPx}`);
  for (let decade = 1; ; decade *= 10) {
    for (const step of STEPS) if (step * decade * scale >= minSpacingPx) return step * decade;
  }
}

/**
 * Ticks at the multiples of rulerStep(scale, minSpacingPx) among the `count` cells whose centres,
 * offset + (i + ½)·scale, fall inside [0, length].
 */
export function rulerTicks(
  offset: number,
  scale: number,
  count: number,
  length: number,
  minSpacingPx = 48,
): RulerTick[] {
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`rulerTicks: count must be a whole number ≥ 0, got ${count}`);
  const step = rulerStep(scale, minSpacingPx);
  const first = Math.max(0, Math.ceil((-offset / scale - 0.5) / step) * step);
  const ticks: RulerTick[] = [];
  for (let index = first; index < count; index += step) {
    const position = offset + (index + 0.5) * scale;
    if (position > length) break;
    if (position >= 0) ticks.push({ index, position });
  }
  return ticks;
}

/**
 * Named bands of `size` cells each (band k covers cells [k·size, (k+1)·size), e.g. the H·W rows of
 * one observation channel), as far as they are visible; labels repeat cyclically past the names.
 */
export function rulerBands(
  offset: number,
  scale: number,
  size: number,
  labels: readonly string[],
  count: number,
  length: number,
): RulerBand[] {
  if (!(Number.isInteger(size) && size > 0))
    throw new RangeError(`rulerBands: size must be a positive whole number, got ${size}`);
  if (labels.length === 0) return [];
  const bands: RulerBand[] = [];
  for (let k = 0; k * size < count; k++) {
    const start = offset + k * size * scale;
    const end = offset + Math.min(count, (k + 1) * size) * scale;
    if (end <= 0) continue;
    if (start >= length) break;
    bands.push({
      label: labels[k % labels.length] as string,
      start: Math.max(0, start),
      end: Math.min(length, end),
    });
  }
  return bands;
}
