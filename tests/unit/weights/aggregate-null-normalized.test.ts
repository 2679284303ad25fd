import { describe, expect, it } from 'vitest';
import {
  NULL_SCALE_FLOOR_FRACTION,
  nullNormalized,
  nullScale,
} from '../../../src-main/weights/aggregate-elementwise';
import { expectError } from './helpers';

const f32 = (...values: number[]) => Float32Array.from(values);

/** The formula the protocol used before: |mean Δ| / (|mean Δ_null| + 1e-8), the null mean signed. */
function oldNullNormalized(deltas: Float32Array[], nulls: Float32Array[]): number[] {
  return [...deltas[0]!].map((_, j) => {
    const mean = deltas.reduce((sum, d) => sum + d[j]!, 0) / deltas.length;
    const nullMean = nulls.reduce((sum, d) => sum + d[j]!, 0) / nulls.length;
    return Math.abs(mean) / (Math.abs(nullMean) + 1e-8);
  });
}

describe('null-normalised map: bounded by a floored, unsigned null scale', () => {
  // Coordinate 0 moved by the RB fine-tunes, never by the null control.
  const deltas = [f32(1, 0.5, 0.2, 0.1), f32(1, 0.5, 0.2, 0.1)];
  const zeroNull = [f32(0, 0.5, 0.2, 0.1)];

  it('the old formula blows up where a null coordinate is 0', () => {
    expect(oldNullNormalized(deltas, zeroNull)[0]).toBeGreaterThan(1e7);
  });

  it('stays bounded there: the scale is floored at a fraction of the tensor median', () => {
    const out = nullNormalized(deltas, zeroNull);
    // moved null scales [0.5, 0.2, 0.1] → median 0.2 → floor 0.1 × 0.2 = 0.02 → 1 / 0.02 = 50
    expect(out[0]).toBeCloseTo(1 / (NULL_SCALE_FLOOR_FRACTION * 0.2), 3);
    expect([...out].slice(1).map((v) => Number(v.toFixed(6)))).toEqual([1, 1, 1]);
    const bound = 1 / (NULL_SCALE_FLOOR_FRACTION * 0.2);
    expect(Math.max(...out)).toBeLessThanOrEqual(bound * (1 + 1e-6));
  });

  it('never divides by a signed mean: nulls that cancel do not shrink the scale', () => {
    const nulls = [f32(0.5, 0.5, 0.2, 0.1), f32(-0.5, 0.5, 0.2, 0.1)];
    expect(oldNullNormalized(deltas, nulls)[0]).toBeGreaterThan(1e7);
    // RMS of ±0.5 is 0.5 → 1 / 0.5 = 2
    expect(nullNormalized(deltas, nulls)[0]).toBeCloseTo(2, 5);
  });

  it('uses the RMS below 3 nulls and the per-parameter SD from 3 on', () => {
    expect([...nullScale([f32(3), f32(-4)])][0]).toBeCloseTo(Math.sqrt(12.5), 9);
    // 1, 2, 3: mean 2, SD (n − 1) = 1 — the shared drift is not noise.
    expect([...nullScale([f32(1), f32(2), f32(3)])][0]).toBeCloseTo(1, 9);
  });

  it('falls back to the deltas’ own median when the nulls never moved the tensor, and 0 when nothing moved', () => {
    const out = nullNormalized([f32(1, 2, 4)], [f32(0, 0, 0)]);
    // median |mean| = 2 → floor 0.2 → [5, 10, 20]
    expect([...out].map((v) => Number(v.toFixed(4)))).toEqual([5, 10, 20]);
    expect([...nullNormalized([f32(0, 0)], [f32(0, 0)])]).toEqual([0, 0]);
  });

  it('rejects no nulls, a mismatched null and a floor that is not > 0', () => {
    expectError(() => nullNormalized(deltas, []), 'INVALID_SPEC');
    expect(expectError(() => nullNormalized(deltas, [f32(1)]), 'SHAPE_MISMATCH').message).toContain(
      'null delta 0 has 1 elements',
    );
    expect(expectError(() => nullNormalized(deltas, zeroNull, 0), 'INVALID_SPEC').message).toContain(
      'floorFraction',
    );
  });
});
