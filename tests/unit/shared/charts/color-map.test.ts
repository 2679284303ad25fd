import { describe, expect, it } from 'vitest';
import {
  buildColorLut,
  divergingColor,
  NAN_COLOR,
  NEUTRAL_COLOR,
  packRgb,
  unpackRgb,
  type Rgb,
} from '../../../../src-main/shared/charts/color-map';

/** Relative luminance (sRGB, Rec. 709 weights): how light a colour reads. */
function luminance([r, g, b]: Rgb): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

describe('diverging colour map', () => {
  it('maps 0 to the neutral near-white centre', () => {
    expect(divergingColor(0)).toEqual(NEUTRAL_COLOR);
    const [r, g, b] = NEUTRAL_COLOR;
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThanOrEqual(2);
    expect(r).toBeGreaterThan(240);
  });

  it('maps +max to dark red and −max to dark blue, and clamps beyond', () => {
    const [pr, pg, pb] = divergingColor(1);
    expect(pr).toBeGreaterThan(pg + 60);
    expect(pr).toBeGreaterThan(pb + 40);
    const [nr, ng, nb] = divergingColor(-1);
    expect(nb).toBeGreaterThan(nr + 60);
    expect(nb).toBeGreaterThan(ng);
    expect(divergingColor(5)).toEqual(divergingColor(1));
    expect(divergingColor(-5)).toEqual(divergingColor(-1));
  });

  it('is symmetric: +t and −t are equally light, red versus blue', () => {
    for (let t = 0.05; t <= 1; t += 0.05) {
      const pos = divergingColor(t);
      const neg = divergingColor(-t);
      expect(Math.abs(luminance(pos) - luminance(neg))).toBeLessThan(0.06);
      expect(pos[0]).toBeGreaterThan(pos[2]);
      expect(neg[2]).toBeGreaterThan(neg[0]);
    }
  });

  it('gets darker monotonically away from 0 on both sides', () => {
    let previousPos = luminance(divergingColor(0));
    let previousNeg = previousPos;
    for (let t = 0.1; t <= 1.0001; t += 0.1) {
      const pos = luminance(divergingColor(t));
      const neg = luminance(divergingColor(-t));
      expect(pos).toBeLessThan(previousPos);
      expect(neg).toBeLessThan(previousNeg);
      previousPos = pos;
      previousNeg = neg;
    }
  });

  it('gives NaN its own grey', () => {
    expect(divergingColor(Number.NaN)).toEqual(NAN_COLOR);
  });

  it('builds a lookup table whose middle entry is 0 and whose ends are ±1', () => {
    const lut = buildColorLut(11);
    expect(lut.packed.length).toBe(11);
    expect(unpackRgb(lut.packed[5] as number)).toEqual(NEUTRAL_COLOR);
    expect(unpackRgb(lut.packed[0] as number)).toEqual(divergingColor(-1));
    expect(unpackRgb(lut.packed[10] as number)).toEqual(divergingColor(1));
    expect(unpackRgb(lut.nan)).toEqual(NAN_COLOR);
    expect(() => buildColorLut(10)).toThrow(/odd integer/);
  });

  it('packs pixels in ImageData byte order (r, g, b, 255)', () => {
    const word = packRgb([10, 20, 30]);
    const bytes = new Uint8Array(new Uint32Array([word]).buffer);
    expect([...bytes]).toEqual([10, 20, 30, 255]);
  });
});
