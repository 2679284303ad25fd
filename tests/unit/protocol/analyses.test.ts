import { describe, expect, it } from 'vitest';
import {
  concentrationOf,
  cosineOf,
  derivedMap,
  fractionRecoveredCi,
  knownAnswerCheck,
  maskSize,
  relevanceMask,
  negationTable,
  pairedDifference,
  superpose,
  updateSignals,
} from '../../../src-main/protocol';
import { mapOf } from '../weights/helpers';
import { cheeseCoinEvaluation } from './evaluation-fixture';

const sampling = { confidence: 0.95, bootstrapResamples: 500, seed: 1 };

describe('pairedDifference', () => {
  it('is the mean per-episode difference, its interval around it, and refuses unpaired samples', () => {
    const d = pairedDifference([1, 2, 3, 4], [0, 0, 1, 1], sampling);
    expect(d.estimate).toBeCloseTo(2, 12);
    expect(d.low).toBeLessThanOrEqual(2);
    expect(d.high).toBeGreaterThanOrEqual(2);
    expect(pairedDifference([5, 5, 5], [2, 2, 2], sampling)).toEqual({ estimate: 3, low: 3, high: 3 });
    expect(() => pairedDifference([1, 2], [1], sampling)).toThrow(/same episodes/);
  });
});

describe('negationTable', () => {
  const n = 40;
  const base = cheeseCoinEvaluation(n, 30, () => 1);
  const table = negationTable({
    seed: 1,
    raName: 'RA',
    rbs: [{ name: 'coin', targetKind: 'coin' }],
    base: { checkpointId: 1, result: base },
    control: { checkpointId: 2, result: cheeseCoinEvaluation(n, 20, () => 1) },
    finetuned: [{ rb: 'coin', checkpointId: 3, result: cheeseCoinEvaluation(n, 38, () => 0) }],
    points: [
      {
        rb: 'coin',
        variant: 'negate',
        alpha: 1,
        checkpointId: 4,
        before: base,
        recoveredCheckpointId: 5,
        after: cheeseCoinEvaluation(n, 4, () => 1),
      },
      {
        rb: 'coin',
        variant: 'random',
        alpha: 1,
        checkpointId: 6,
        before: base,
        recoveredCheckpointId: 7,
        after: cheeseCoinEvaluation(n, 20, () => 1),
      },
    ],
    confidence: sampling.confidence,
    bootstrapResamples: sampling.bootstrapResamples,
  });

  it('reports P(collect the RB object) before and after recovery, and paired differences to the controls', () => {
    const negate = table.rows.find((r) => r.variant === 'negate')!;
    expect(negate.after.targetCollect!.estimate).toBeCloseTo(4 / n, 12);
    expect(negate.afterVsRandom!.targetCollect!.estimate).toBeCloseTo((4 - 20) / n, 12);
    expect(negate.afterVsRandom!.targetCollect!.high).toBeLessThan(0);
    expect(negate.afterVsControl.raReturn.estimate).toBe(0);
    expect(table.rows.find((r) => r.variant === 'random')!.afterVsRandom).toBeNull();
    expect(table.finetuned[0]!.measures.targetCollect!.estimate).toBeCloseTo(38 / n, 12);
    expect(table.base.measures.coin!.raReturn.estimate).toBe(1);
  });
});

describe('concentration and superposition', () => {
  it('gives each tensor its share of Σ|m| next to its share of the parameters', () => {
    const rows = concentrationOf(mapOf({ a: [[2], [3, -1]], b: [[2], [0, 0]], c: [[4], [0, 0, 0, 4]] }));
    expect(rows.map((r) => r.share)).toEqual([0.5, 0, 0.5]);
    expect(rows.map((r) => r.sizeShare)).toEqual([0.25, 0.25, 0.5]);
    expect(rows[0]!.meanAbs).toBe(2);
    expect(concentrationOf(mapOf({ a: [[1], [0]] }))[0]!.share).toBe(0);
  });

  it('maps RB deltas confined to one tensor onto that tensor with every aggregator, and the known-answer check finds it', () => {
    const base = mapOf({ big: [[8], [1, 2, 3, 4, 5, 6, 7, 8]], small: [[2], [1, 1]] });
    const tuned = (dx: number, dy: number) =>
      mapOf({ big: [[8], [1, 2, 3, 4, 5, 6, 7, 8]], small: [[2], [1 + dx, 1 + dy]] });
    const deltaMap = (m: ReturnType<typeof tuned>) =>
      mapOf({
        big: [[8], Array(8).fill(0)],
        small: [[2], [m.get('small')!.data[0]! - 1, m.get('small')!.data[1]! - 1]],
      });
    const result = superpose({
      seed: 1,
      base,
      rbDeltas: [
        { label: 'x', checkpointId: 1, map: deltaMap(tuned(0.5, 0.25)) },
        { label: 'y', checkpointId: 2, map: deltaMap(tuned(0.25, 0.5)) },
      ],
      nullDeltas: [{ label: 'null-0', checkpointId: 3, map: deltaMap(tuned(0.125, -0.125)) }],
      aggregators: ['mean', 'median', 'sign-agreement', 'ties', 'dare', 'null-normalized'],
      tiesDensity: 0.5,
      dareDropProbability: 0.1,
    });
    for (const map of result.maps)
      expect(map.concentration.find((c) => c.tensor === 'small')!.share, map.aggregator).toBe(1);
    expect(result.nullMap!.concentration[1]!.share).toBe(1);
    const check = knownAnswerCheck(1, 'small', result.maps);
    expect(check.pass).toBe(true);
    expect(knownAnswerCheck(1, 'big', result.maps).pass).toBe(false);
    expect(() => knownAnswerCheck(1, 'nope', result.maps)).toThrow(/nope/);
  });
});

describe('derivedMap', () => {
  const base = mapOf({ w: [[3], [1, 2, 3]] });
  const tuned = mapOf({ w: [[3], [2, 2, 1]] });

  it('computes MA − αΔ and MA + αΔ', () => {
    expect([...derivedMap(base, tuned, 'negate', 0.5, 0).get('w')!.data]).toEqual([0.5, 2, 4]);
    expect([...derivedMap(base, tuned, 'add', 1, 0).get('w')!.data]).toEqual([2, 2, 1]);
  });

  it('moves MA by α times a random direction of ‖Δ‖ for the random control', () => {
    const random = derivedMap(base, tuned, 'random', 2, 7).get('w')!.data;
    const step = Array.from(random, (v, i) => v - base.get('w')!.data[i]!);
    expect(Math.hypot(...step)).toBeCloseTo(2 * Math.hypot(1, 0, -2), 5);
    expect(cosineOf([[Float32Array.from(step), Float32Array.from([1, 0, -2])]])).not.toBeCloseTo(-1, 3);
  });
});

describe('updateSignals', () => {
  it('reports each delta’s norms and the cosine matrix of the deltas', () => {
    const base = mapOf({ a: [[2], [0, 0]], b: [[1], [1]] });
    const signals = updateSignals(1, { nodeId: 'MA', checkpointId: 1, map: base }, [
      {
        label: 'x',
        role: 'rb',
        nodeId: 'x',
        checkpointId: 2,
        map: mapOf({ a: [[2], [3, 4]], b: [[1], [1]] }),
      },
      {
        label: 'y',
        role: 'rb',
        nodeId: 'y',
        checkpointId: 3,
        map: mapOf({ a: [[2], [-3, -4]], b: [[1], [1]] }),
      },
      { label: 'null-0', role: 'null', nodeId: 'n', checkpointId: 4, map: base },
    ]);
    expect(signals.deltas[0]!.total.l2).toBeCloseTo(5, 6);
    expect(signals.deltas[0]!.perTensor.map((s) => s.l2)).toEqual([5, 0]);
    expect(signals.cosine[0]![1]).toBeCloseTo(-1, 6);
    expect(signals.cosine[0]![2]).toBeNull();
    expect(signals.perTensorCosine.b![0]![0]).toBeNull();
  });
});

describe('localization', () => {
  const map = mapOf({ a: [[4], [0.1, 0.9, 0.5, 0.3]], b: [[6], [0.7, 0, 0.2, 0.8, 0.6, 0.4]] });

  it('selects the top, bottom or random k % of the whole map', () => {
    const flat = (masks: { data: Float32Array }[]) => masks.flatMap((m) => [...m.data]);
    const top = relevanceMask(map, 'top', 30, 1);
    expect(top.selected).toBe(3);
    expect(flat(top.masks)).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(flat(relevanceMask(map, 'bottom', 20, 1).masks)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const random = flat(relevanceMask(map, 'random', 50, 3).masks);
    expect(random.reduce((a, b) => a + b, 0)).toBe(5);
    expect(flat(relevanceMask(map, 'random', 50, 3).masks)).toEqual(random);
    expect(maskSize(1000, 1)).toBe(10);
    expect(maskSize(10, 0.01)).toBe(1);
  });

  it('takes ties at the threshold in map order, so exactly k are chosen', () => {
    const flat = relevanceMask(mapOf({ t: [[4], [1, 1, 1, 1]] }), 'top', 50, 0).masks[0]!.data;
    expect([...flat]).toEqual([1, 1, 0, 0]);
  });

  it('gives the share of the full fine-tune’s gain with a paired bootstrap interval', () => {
    const base = [0, 0, 1, 0, 0, 1, 0, 0];
    const full = [1, 1, 1, 1, 1, 1, 0, 1];
    const half = [1, 0, 1, 1, 0, 1, 0, 0];
    const ci = fractionRecoveredCi(half, full, base, sampling)!;
    expect(ci.estimate).toBeCloseTo((4 / 8 - 2 / 8) / (7 / 8 - 2 / 8), 12);
    expect(ci.low).toBeLessThanOrEqual(ci.estimate);
    expect(ci.high).toBeGreaterThanOrEqual(ci.estimate);
    expect(fractionRecoveredCi(half, base, base, sampling)).toBeNull();
  });
});
