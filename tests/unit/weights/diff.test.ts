import { describe, expect, it } from 'vitest';
import { deltaStats } from '../../../src-main/weights/delta-stats';
import {
  addTensorDiff,
  createModelDiff,
  diffCheckpoints,
  finishModelDiff,
} from '../../../src-main/weights/diff';
import { expectError, mapOf, noise } from './helpers';

// A = [1, -2, 0, 4], B = [1.5, 2, 0, 3]  ⇒  Δ = [0.5, 4, 0, -1]
const A = Float32Array.from([1, -2, 0, 4]);
const B = Float32Array.from([1.5, 2, 0, 3]);

describe('delta statistics of one tensor', () => {
  const stats = deltaStats(A, B, { epsilon: 0.5, bins: 4 });

  it('computes norms, moments and extremes by hand', () => {
    expect(stats.count).toBe(4);
    expect(stats.l2).toBeCloseTo(Math.sqrt(17.25), 12); // 0.25 + 16 + 0 + 1
    expect(stats.normA).toBeCloseTo(Math.sqrt(21), 12); // 1 + 4 + 0 + 16
    expect(stats.normB).toBeCloseTo(Math.sqrt(15.25), 12); // 2.25 + 4 + 0 + 9
    expect(stats.relativeL2).toBeCloseTo(Math.sqrt(17.25 / 21), 12);
    expect(stats.maxAbs).toBe(4);
    expect(stats.mean).toBeCloseTo(0.875, 12); // 3.5 / 4
    expect(stats.std).toBeCloseTo(Math.sqrt(17.25 / 4 - 0.875 ** 2), 12);
    expect(stats.cosine).toBeCloseTo(9.5 / Math.sqrt(21 * 15.25), 12); // 1.5 - 4 + 0 + 12
  });

  it('counts |Δ| > ε strictly and sign flips only between two non-zero values', () => {
    expect(stats.aboveEpsilon).toBe(2); // 4 and -1; 0.5 is not > 0.5
    expect(stats.fractionAboveEpsilon).toBe(0.5);
    expect(stats.signFlips).toBe(1); // -2 → 2; 0 → 0 is no flip
    const fromZero = deltaStats(Float32Array.from([0, 0, -1]), Float32Array.from([1, -1, -2]));
    expect(fromZero.signFlips).toBe(0);
  });

  it('bins Δ in a symmetric range just above max|Δ|', () => {
    // max|Δ| = 4 ⇒ R = 8 (next power of two above), limit = 8·17/32 = 4.25, bin width 2.125:
    // [-4.25,-2.125) [-2.125,0) [0,2.125) [2.125,4.25) ← -1 | 0.5, 0 | 4
    expect(stats.histogram.limit).toBe(4.25);
    expect(stats.histogram.counts).toEqual([0, 1, 2, 1]);
  });

  it('reports undefined ratios as null and all-zero deltas in the centre bin', () => {
    const zeros = new Float32Array(3);
    const same = deltaStats(zeros, zeros, { bins: 4 });
    expect(same.relativeL2).toBeNull();
    expect(same.cosine).toBeNull();
    expect(same.histogram).toEqual({ limit: 0, counts: [0, 0, 3, 0] });
    expect(JSON.parse(JSON.stringify(same))).toEqual(same);
  });

  it('skips non-finite elements and counts them', () => {
    const a = Float32Array.from([1, NaN, 2, Infinity]);
    const b = Float32Array.from([2, 1, 4, 1]);
    const stats = deltaStats(a, b);
    expect(stats.nonFinite).toBe(2);
    expect(stats.count).toBe(2);
    expect(stats.mean).toBe(1.5);
    expect(stats.maxAbs).toBe(2);
  });

  it('puts every element in the bin its value belongs to, across many range doublings', () => {
    const a = new Float32Array(2000);
    const b = Float32Array.from(noise(2000, 3), (v, i) => v * 10 ** ((i % 9) - 6)); // 1e-6 … 1e2
    const stats = deltaStats(a, b, { bins: 16 });
    const { limit, counts } = stats.histogram;
    expect(limit).toBeGreaterThan(stats.maxAbs);
    expect(limit).toBeLessThanOrEqual(stats.maxAbs * (1 + 2 / 32));
    const expected = new Array<number>(16).fill(0);
    for (const d of b) expected[Math.floor((d + limit) / ((2 * limit) / 16))]! += 1;
    expect(counts).toEqual(expected);
  });

  it('keeps the variance accurate when the mean is far from zero', () => {
    const a = new Float32Array(1000);
    const b = Float32Array.from({ length: 1000 }, (_, i) => 1000 + (i % 2 === 0 ? 0.001 : -0.001));
    const stats = deltaStats(a, b);
    expect(stats.std).toBeCloseTo(Math.abs(b[0]! - b[1]!) / 2, 9);
  });
});

describe('diffCheckpoints', () => {
  const a = mapOf({
    'torso.dense1.kernel': [
      [2, 2],
      [1, -2, 0, 4],
    ],
    'value.bias': [[1], [7]],
  });
  const b = mapOf({
    'torso.dense1.kernel': [
      [2, 2],
      [1.5, 2, 0, 3],
    ],
    'value.bias': [[1], [5]],
  });

  it('gives per-tensor and whole-model statistics', () => {
    const diff = diffCheckpoints(a, b, { epsilon: 0.5, bins: 4 });
    expect(diff.tensors.map((t) => t.name)).toEqual(['torso.dense1.kernel', 'value.bias']);
    expect(diff.tensors[1]!.stats.mean).toBe(-2);
    // Whole model: Δ = [0.5, 4, 0, -1, -2]
    expect(diff.model.count).toBe(5);
    expect(diff.model.l2).toBeCloseTo(Math.sqrt(21.25), 12);
    expect(diff.model.mean).toBeCloseTo(1.5 / 5, 12);
    expect(diff.model.std).toBeCloseTo(Math.sqrt(21.25 / 5 - 0.09), 12);
    expect(diff.model.cosine).toBeCloseTo((9.5 + 35) / Math.sqrt((21 + 49) * (15.25 + 25)), 12);
    expect(diff.model.signFlips).toBe(1);
    expect(diff.model.aboveEpsilon).toBe(3);
    expect(diff.model.histogram.counts.reduce((s, c) => s + c, 0)).toBe(5);
    expect(diff.delta).toBeNull();
    expect(diff.skipped).toEqual([]);
  });

  it('merges per-tensor histograms exactly into the whole-model one', () => {
    const big = mapOf({ x: [[500], [...noise(500, 1, 0.01)]], y: [[300], [...noise(300, 2, 3)]] });
    const zero = mapOf({ x: [[500], new Array(500).fill(0)], y: [[300], new Array(300).fill(0)] });
    const diff = diffCheckpoints(zero, big, { bins: 32 });
    const all = Float32Array.from([...big.get('x')!.data, ...big.get('y')!.data]);
    const direct = deltaStats(new Float32Array(800), all, { bins: 32 });
    expect(diff.model.histogram).toEqual(direct.histogram);
    expect(diff.model.l2).toBeCloseTo(direct.l2, 10);
    expect(diff.model.std).toBeCloseTo(direct.std, 10);
  });

  it('gives the same answer when tensors are streamed one at a time', () => {
    const state = createModelDiff({ epsilon: 0.5, bins: 4 });
    for (const name of ['value.bias', 'torso.dense1.kernel'])
      addTensorDiff(state, a.get(name)!, b.get(name)!);
    const streamed = finishModelDiff(state);
    const whole = diffCheckpoints(a, b, { epsilon: 0.5, bins: 4 }).model;
    expect(streamed.histogram).toEqual(whole.histogram);
    expect(streamed.l2).toBeCloseTo(whole.l2, 12);
    expect(streamed.mean).toBeCloseTo(whole.mean, 12);
    expect(streamed.std).toBeCloseTo(whole.std, 12);
    expect(streamed.signFlips).toBe(whole.signFlips);
  });

  it('returns Δ as float32 tensors when asked', () => {
    const diff = diffCheckpoints(a, b, { keepDelta: true });
    expect([...diff.delta!.get('torso.dense1.kernel')!.data]).toEqual([0.5, 4, 0, -1]);
    expect(diff.delta!.get('value.bias')!.shape).toEqual([1]);
  });

  it('refuses mismatched checkpoints with a message listing each mismatch', () => {
    const left = mapOf({
      'torso.dense1.kernel': [[484, 256], new Array(484 * 256).fill(0)],
      'value.kernel': [[1], [0]],
    });
    const right = mapOf({
      'torso.dense1.kernel': [[363, 256], new Array(363 * 256).fill(0)],
      'value.kernel': [[1], [1]],
      'value.bias': [[1], [0]],
    });
    const error = expectError(() => diffCheckpoints(left, right), 'SHAPE_MISMATCH');
    expect(error.message).toBe(
      'A and B do not have the same tensors: tensor `torso.dense1.kernel`: A has [484,256], B has [363,256]; `value.bias` only in B',
    );
    const partial = diffCheckpoints(left, right, { partial: true });
    expect(partial.tensors.map((t) => t.name)).toEqual(['value.kernel']);
    expect(partial.skipped.map((s) => s.name)).toEqual(['torso.dense1.kernel', 'value.bias']);
    expect(partial.model.l2).toBe(1);
  });
});
