import { describe, expect, it } from 'vitest';
import { downsampleMinMax } from '../../../src-main/api/downsample';

describe('downsampleMinMax', () => {
  it('returns short series unchanged', () => {
    expect(downsampleMinMax([1, 2, 3], [5, 6, 7], 10)).toEqual({ steps: [1, 2, 3], values: [5, 6, 7] });
  });

  it('keeps a single spike that a mean would hide', () => {
    const n = 10_000;
    const steps = Array.from({ length: n }, (_, i) => i * 2048);
    const values = Array.from({ length: n }, () => 0);
    values[4321] = 100;
    values[777] = -50;
    const out = downsampleMinMax(steps, values, 200);
    expect(out.steps.length).toBeLessThanOrEqual(200);
    expect(Math.max(...out.values)).toBe(100);
    expect(Math.min(...out.values)).toBe(-50);
    expect(out.steps[out.values.indexOf(100)]).toBe(4321 * 2048);
    const sorted = [...out.steps].sort((a, b) => a - b);
    expect(out.steps).toEqual(sorted);
  });

  it('names the mismatch when the arrays differ in length', () => {
    expect(() => downsampleMinMax([1, 2], [1], 10)).toThrow(/steps has 2 points but values has 1/);
  });
});
