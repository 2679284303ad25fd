import { describe, expect, it } from 'vitest';
import {
  buildColorLut,
  divergingColor,
  NAN_COLOR,
  NEUTRAL_COLOR,
  unpackRgb,
} from '../../../../src-main/shared/charts/color-map';
import { colorizeValues } from '../../../../src-main/shared/heatmap/colorize';

const lut = buildColorLut();

function colors(values: number[], mode: 'linear' | 'log' = 'linear', limit = 1) {
  const out = new Uint32Array(values.length);
  colorizeValues(values, out, lut, { limit, mode, decades: 3 });
  return [...out].map(unpackRgb);
}

describe('colorizeValues', () => {
  it('paints 0 neutral, ±limit the ends, and clamps beyond the limit', () => {
    const [zero, pos, neg, beyond, below] = colors([0, 2, -2, 9, -9], 'linear', 2);
    expect(zero).toEqual(NEUTRAL_COLOR);
    expect(pos).toEqual(divergingColor(1));
    expect(neg).toEqual(divergingColor(-1));
    expect(beyond).toEqual(divergingColor(1));
    expect(below).toEqual(divergingColor(-1));
  });

  it('matches the colour map at intermediate values (within one LUT step)', () => {
    const [half] = colors([0.5]);
    const expected = divergingColor(0.5);
    half?.forEach((c, i) => expect(Math.abs(c - (expected[i] as number))).toBeLessThanOrEqual(2));
  });

  it('paints NaN grey and huge values at the ends without integer wrap-around', () => {
    const [nan, huge, tiny, inf] = colors([Number.NaN, 1e30, -1e30, Infinity]);
    expect(nan).toEqual(NAN_COLOR);
    expect(huge).toEqual(divergingColor(1));
    expect(tiny).toEqual(divergingColor(-1));
    expect(inf).toEqual(divergingColor(1));
  });

  it('log mode colours small values more strongly than linear mode', () => {
    const [linear] = colors([0.01], 'linear');
    const [log] = colors([0.01], 'log');
    // Further from the neutral centre = lower green channel on the red arm.
    expect(log?.[1]).toBeLessThan(linear?.[1] ?? 0);
    expect(colors([0], 'log')[0]).toEqual(NEUTRAL_COLOR);
    expect(colors([-1], 'log')[0]).toEqual(divergingColor(-1));
  });

  it('refuses an output buffer shorter than the values', () => {
    expect(() =>
      colorizeValues([1, 2, 3], new Uint32Array(2), lut, { limit: 1, mode: 'linear', decades: 3 }),
    ).toThrow(/out has 2 pixels for 3 values/);
  });
});
