import { describe, expect, it } from 'vitest';
import { aggregateDeltas, aggregateTensor, type AggregatorSpec } from '../../../src-main/weights/aggregate';
import { createRng, streamIdOf } from '../../../src-main/shared/random';
import { expectError, mapOf } from './helpers';

const d1 = Float32Array.from([1, -2, 3, 0]);
const d2 = Float32Array.from([3, -1, -3, 0]);
const d3 = Float32Array.from([2, 4, -6, 0]);
const run = (spec: AggregatorSpec, deltas: Float32Array[], nullDelta?: Float32Array): number[] => [
  ...aggregateTensor(spec, { name: 'w', deltas, ...(nullDelta ? { nullDeltas: [nullDelta] } : {}) }),
];

describe('simple aggregators (hand-computed)', () => {
  it('mean, median and mean |Δ|', () => {
    const mean = run({ kind: 'mean' }, [d1, d2, d3]);
    expect(mean[0]).toBe(2);
    expect(mean[1]).toBeCloseTo(1 / 3, 6);
    expect(mean.slice(2)).toEqual([-2, 0]);
    expect(run({ kind: 'median' }, [d1, d2, d3])).toEqual([2, -1, -3, 0]);
    expect(run({ kind: 'median' }, [d1, d2])).toEqual([2, -1.5, 0, 0]);
    const meanAbs = run({ kind: 'mean-abs' }, [d1, d2, d3]);
    expect(meanAbs[1]).toBeCloseTo(7 / 3, 6);
    expect([meanAbs[0], meanAbs[2], meanAbs[3]]).toEqual([2, 4, 0]);
  });

  it('sign agreement: the share of deltas with the majority sign (zeros vote for neither)', () => {
    const agreement = run({ kind: 'sign-agreement' }, [d1, d2, d3]);
    expect(agreement[0]).toBe(1);
    expect(agreement[1]).toBeCloseTo(2 / 3, 6);
    expect(agreement[2]).toBeCloseTo(2 / 3, 6);
    expect(agreement[3]).toBe(0);
  });

  it('null-normalised: |mean Δ| / max(|Δ_null|, f · median of the moved |Δ_null|)', () => {
    const out = run(
      { kind: 'null-normalized', floorFraction: 0.5 },
      [d1, d2, d3],
      Float32Array.from([1, 0, -0.5, 2]),
    );
    // mean = [2, 1/3, -2, 0]; scale [1, 0, 0.5, 2], median of the positive = 1 → floor 0.5
    // → [2/1, (1/3)/0.5, 2/0.5, 0/2]
    expect(out[0]).toBeCloseTo(2, 6);
    expect(out[1]).toBeCloseTo(2 / 3, 6);
    expect(out.slice(2)).toEqual([4, 0]);
  });

  it('variance ratio: between-objective over within-objective variance', () => {
    const deltas = [
      [1, 0],
      [3, 0],
      [5, 1],
      [7, 1],
    ].map((v) => Float32Array.from(v));
    const out = run({ kind: 'variance-ratio', groups: ['RA', 'RA', 'RB', 'RB'], epsilon: 0.5 }, deltas);
    // element 0: group means 2 and 6, grand mean 4 → between = 2·4 + 2·4 = 16 over G−1 = 1;
    //            within = 1+1+1+1 = 4 over N−G = 2 → 16 / (2 + 0.5) = 6.4
    // element 1: group means 0 and 1, grand 0.5 → between 1; within 0 → 1 / (0 + 0.5) = 2
    expect(out[0]).toBeCloseTo(6.4, 5);
    expect(out[1]).toBe(2);
    expectError(() => run({ kind: 'variance-ratio', groups: ['a', 'b', 'c'] }, [d1, d2, d3]), 'INVALID_SPEC');
  });
});

describe('TIES (per-tensor trim, elect by mass, disjoint mean)', () => {
  it('matches a hand-worked example', () => {
    // density 0.5 keeps 2 of 4 entries per delta:
    //   d1 → [0, -2, 3, 0]   d2 → [3, 0, -3, 0] (two |3|s)   d3 → [0, 4, -6, 0]
    // mass = [3, 2, -6, 0] → signs [+, +, −, none]
    // agreeing means: [3], [4], [-3, -6] → -4.5, none → 0
    expect(run({ kind: 'ties', density: 0.5 }, [d1, d2, d3])).toEqual([3, 4, -4.5, 0]);
    expect(run({ kind: 'ties', density: 0.5, lambda: 2 }, [d1, d2, d3])).toEqual([6, 8, -9, 0]);
  });

  it('elects the sign by total mass, not by head count', () => {
    const out = run(
      { kind: 'ties', density: 1 },
      [[1], [1], [-5]].map((v) => Float32Array.from(v)),
    );
    expect(out).toEqual([-5]);
  });

  it('breaks ties at the threshold in index order, keeping exactly k entries', () => {
    expect(run({ kind: 'ties', density: 0.5 }, [Float32Array.from([1, -1, 1, 1])])).toEqual([1, -1, 0, 0]);
  });

  it('rejects a density outside (0, 1]', () => {
    expectError(() => run({ kind: 'ties', density: 0 }, [d1]), 'INVALID_SPEC');
  });
});

describe('DARE (drop with probability p, rescale by 1/(1−p))', () => {
  it('matches a hand-worked example with a fixed seed', () => {
    // The uniform streams of tensor `w` under seed 7 (shared/random: stream (name, input index)):
    const u0 = createRng(7, streamIdOf('w', 0));
    const u1 = createRng(7, streamIdOf('w', 1));
    const draws0 = [u0.float(), u0.float(), u0.float(), u0.float()];
    const draws1 = [u1.float(), u1.float(), u1.float(), u1.float()];
    expect(draws0.map((u) => u.toFixed(3))).toEqual(['0.422', '0.477', '0.544', '0.049']);
    expect(draws1.map((u) => u.toFixed(3))).toEqual(['0.926', '0.923', '0.345', '0.620']);
    // p = 0.5 drops u < 0.5:  delta 0 keeps entry 2;  delta 1 keeps entries 0, 1, 3.
    //   delta 0 = [1, 2, 3, 4]     → [0, 0, 6, 0]    (×2)
    //   delta 1 = [10, 20, 30, 40] → [20, 40, 0, 80]
    // mean → [10, 20, 3, 40]; sum → [20, 40, 6, 80]
    const deltas = [Float32Array.from([1, 2, 3, 4]), Float32Array.from([10, 20, 30, 40])];
    expect(run({ kind: 'dare', dropProbability: 0.5, seed: 7 }, deltas)).toEqual([10, 20, 3, 40]);
    expect(run({ kind: 'dare', dropProbability: 0.5, seed: 7, combine: 'sum' }, deltas)).toEqual([
      20, 40, 6, 80,
    ]);
  });

  it('keeps everything at p = 0 and drops about p of a large tensor', () => {
    const delta = Float32Array.from({ length: 10000 }, (_, i) => (i % 7) + 1);
    expect(run({ kind: 'dare', dropProbability: 0, seed: 1 }, [delta])).toEqual([...delta]);
    const dropped = run({ kind: 'dare', dropProbability: 0.9, seed: 1 }, [delta]);
    const kept = dropped.filter((v) => v !== 0);
    expect(kept.length / delta.length).toBeGreaterThan(0.08);
    expect(kept.length / delta.length).toBeLessThan(0.12);
    dropped.forEach((v, i) => {
      if (v !== 0) expect(v).toBeCloseTo(delta[i]! * 10, 4);
    });
  });
});

describe('aggregating whole delta maps', () => {
  const maps = [d1, d2, d3].map((d, i) => mapOf({ w: [[2, 2], [...d]], b: [[1], [i]] }));

  it('works tensor by tensor and returns a JSON-able recipe', () => {
    const { map, recipe } = aggregateDeltas({ kind: 'ties', density: 0.5 }, maps, { inputs: [3, 4, 5] });
    expect([...map.get('w')!.data]).toEqual([3, 4, -4.5, 0]);
    expect(map.get('w')!.shape).toEqual([2, 2]);
    expect(JSON.parse(JSON.stringify(recipe))).toEqual({
      aggregator: 'ties',
      params: { density: 0.5, lambda: 1, trim: 'per-tensor' },
      inputs: [3, 4, 5],
    });
  });

  it('records the null inputs and checks the null deltas match', () => {
    const nullDelta = mapOf({
      w: [
        [2, 2],
        [1, 0, -0.5, 2],
      ],
      b: [[1], [0]],
    });
    const { recipe } = aggregateDeltas({ kind: 'null-normalized' }, maps, {
      inputs: [3, 4, 5],
      nullDeltas: [nullDelta, nullDelta],
      nullInputs: [9, 10],
    });
    expect(recipe.params).toMatchObject({ floorFraction: 0.1 });
    expect(recipe.nullInputs).toEqual([9, 10]);
    const wrong = mapOf({ w: [[4], [0, 0, 0, 0]], b: [[1], [0]] });
    const error = expectError(
      () => aggregateDeltas({ kind: 'null-normalized' }, maps, { nullDeltas: [nullDelta, wrong] }),
      'SHAPE_MISMATCH',
    );
    expect(error.message).toContain('null delta 1 has [4]');
  });
});
