import { describe, expect, it } from 'vitest';
import {
  createNormalizer,
  scaleTicks,
  valueAt,
  type ValueScale,
} from '../../../../src-main/shared/heatmap/value-scale';

const linear: ValueScale = { limit: 2, mode: 'linear', decades: 3 };
const log: ValueScale = { limit: 2, mode: 'log', decades: 3 };

describe('value scale', () => {
  it('linear: t = v / limit, clamped to ±1', () => {
    const t = createNormalizer(linear);
    expect(t(0)).toBe(0);
    expect(t(1)).toBeCloseTo(0.5, 12);
    expect(t(-2)).toBe(-1);
    expect(t(7)).toBe(1);
    expect(t(-7)).toBe(-1);
    expect(Number.isNaN(t(Number.NaN))).toBe(true);
  });

  it('log: keeps sign and 0, reaches ±1 at ±limit, and spreads small values', () => {
    const t = createNormalizer(log);
    const lin = createNormalizer(linear);
    expect(t(0)).toBe(0);
    expect(t(2)).toBeCloseTo(1, 12);
    expect(t(-2)).toBeCloseTo(-1, 12);
    expect(t(50)).toBe(1);
    expect(t(-0.02)).toBeCloseTo(-t(0.02), 12);
    // A value 1% of the limit is nearly neutral on a linear scale but clearly coloured on the log one.
    expect(lin(0.02)).toBeCloseTo(0.01, 12);
    expect(t(0.02)).toBeGreaterThan(0.3);
    // Monotonic.
    let previous = -Infinity;
    for (let v = -2; v <= 2; v += 0.01) {
      expect(t(v)).toBeGreaterThanOrEqual(previous);
      previous = t(v);
    }
  });

  it('valueAt inverts the mapping inside ±limit', () => {
    for (const scale of [linear, log]) {
      const t = createNormalizer(scale);
      for (const v of [-1.5, -0.01, 0, 0.003, 0.7, 2]) expect(valueAt(t(v), scale)).toBeCloseTo(v, 9);
    }
  });

  it('colour-bar ticks are symmetric around 0 and end at ±limit', () => {
    for (const scale of [linear, log]) {
      const ticks = scaleTicks(scale);
      expect(ticks.length % 2).toBe(1);
      expect(ticks[(ticks.length - 1) / 2]).toEqual({ value: 0, t: 0 });
      expect(ticks[0]?.value).toBeCloseTo(-2, 12);
      expect(ticks.at(-1)?.t).toBeCloseTo(1, 12);
      ticks.forEach((tick, i) =>
        expect(tick.value).toBeCloseTo(-(ticks[ticks.length - 1 - i]?.value ?? NaN), 12),
      );
    }
    const positive = scaleTicks(log)
      .map((tick) => tick.value)
      .filter((v) => v > 0);
    expect(positive.map((v) => Number(v.toPrecision(6)))).toEqual([0.002, 0.02, 0.2, 2]);
  });

  it('rejects a limit that is not a positive finite number', () => {
    expect(() => createNormalizer({ ...linear, limit: 0 })).toThrow(
      /limit must be a finite number > 0, got 0/,
    );
    expect(() => createNormalizer({ ...log, limit: Number.NaN })).toThrow(/limit/);
    expect(() => createNormalizer({ ...log, decades: 0 })).toThrow(/decades/);
  });
});
