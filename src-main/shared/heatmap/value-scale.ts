/**
 * How a value becomes a position t ∈ [−1, 1] on the diverging colour map: a symmetric limit (colours
 * saturate beyond ±limit), mapped linearly or on a symmetric log scale that spreads small values.
 */

export type ScaleMode = 'linear' | 'log';

export interface ValueScale {
  /** Colours saturate at ±limit; > 0. */
  limit: number;
  mode: ScaleMode;
  /** Log mode: decades of |v| below the limit that get colour; smaller |v| stay near-neutral. */
  decades: number;
}

export const DEFAULT_LOG_DECADES = 3;

/** Checks a scale: limit finite and > 0, decades finite and > 0. */
export function checkScale(scale: ValueScale): void {
  if (!(Number.isFinite(scale.limit) && scale.limit > 0)) {
    throw new RangeError(`ValueScale: limit must be a finite number > 0, got ${scale.limit}`);
  }
  if (!(Number.isFinite(scale.decades) && scale.decades > 0)) {
    throw new RangeError(`ValueScale: decades must be a finite number > 0, got ${scale.decades}`);
  }
}

/**
 * linear: t = clamp(v / L); log: t = sign(v)·clamp(log(1 + |v|/c) / log(1 + L/c)), c = L·10^−decades.
 * NaN stays NaN.
 */
export function createNormalizer(scale: ValueScale): (value: number) => number {
  checkScale(scale);
  const { limit } = scale;
  if (scale.mode === 'linear') {
    const inverse = 1 / limit;
    return (value) => {
      const t = value * inverse;
      return t > 1 ? 1 : t < -1 ? -1 : t;
    };
  }
  const c = limit * 10 ** -scale.decades;
  const inverseDenominator = 1 / Math.log1p(limit / c);
  return (value) => {
    const t = Math.log1p(Math.abs(value) / c) * inverseDenominator;
    const clamped = t > 1 ? 1 : t;
    return value < 0 ? -clamped : value > 0 ? clamped : value;
  };
}

/** The value at position t ∈ [−1, 1]: the inverse of createNormalizer inside ±limit. */
export function valueAt(t: number, scale: ValueScale): number {
  checkScale(scale);
  const clamped = Math.min(1, Math.max(-1, t));
  if (scale.mode === 'linear') return clamped * scale.limit;
  const c = scale.limit * 10 ** -scale.decades;
  const magnitude = c * Math.expm1(Math.abs(clamped) * Math.log1p(scale.limit / c));
  return clamped < 0 ? -magnitude : magnitude;
}

export interface ScaleTick {
  value: number;
  /** Position on the colour map, −1 … 1. */
  t: number;
}

/**
 * Colour-bar ticks: linear — −L, −L/2, 0, L/2, L; log — 0, then ±L·10^−k for k = 0 … decades
 * (at most `maxPerSide` per side, spread evenly over the decades).
 */
export function scaleTicks(scale: ValueScale, maxPerSide = 4): ScaleTick[] {
  checkScale(scale);
  const normalize = createNormalizer(scale);
  const positive: number[] =
    scale.mode === 'linear' ? [scale.limit / 2, scale.limit] : logTickValues(scale, maxPerSide);
  const values = [...positive.map((v) => -v).reverse(), 0, ...positive];
  return values.map((value) => ({ value, t: normalize(value) }));
}

function logTickValues(scale: ValueScale, maxPerSide: number): number[] {
  const decades = Math.max(1, Math.floor(scale.decades));
  const count = Math.max(1, Math.min(maxPerSide, decades + 1));
  const values: number[] = [];
  for (let i = count - 1; i >= 0; i -= 1) {
    const k = count === 1 ? 0 : Math.round((i * decades) / (count - 1));
    values.push(scale.limit * 10 ** -k);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}
