import { pooledEffect, type PoolingOptions } from '../engine/pooling';
import type { EvaluationResult } from '../shared/contract-evaluation';
import {
  LOCALIZATION_COMPARISONS,
  type LocalizationComparison,
  type PooledLocalization,
} from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import type { MaskSelection } from './job-graph';
import { returnsOf } from './negation';

/**
 * The localization test pooled across replications. A single replication's intervals cover only the
 * episode noise of its own trained checkpoints; here every replication (its own pretrain, full
 * fine-tune, masks and random draws) gives one effect, and engine/pooling.ts pools them (t-interval
 * when R ≥ 5, else hierarchical bootstrap; "not replicated" when R < 3), as for the negation.
 *
 * Per replication r, on RB_new's per-episode returns over the shared held-out episodes:
 *   dᵣ = mean(fullₑ − MAₑ)                  its own full fine-tune's gain (the denominator)
 *   fraction of mask X:  (Xₑ − MAₑ) / dᵣ    mean = (x̄ − MĀ)/dᵣ, the fraction of the full gain
 *   top − X:             (topₑ − Xₑ) / dᵣ   X = a baseline's top k, or the random draws' mean per episode
 * Within a replication dᵣ is held fixed (episodes are resampled, the denominator is not); its noise
 * enters through the spread of the replications. A replication whose full fine-tune did not raise the
 * mean return (dᵣ ≤ 0) has no meaningful fraction and is left out (listed in `excluded`).
 */

export interface ReplicationLocalizationInput {
  seed: number;
  /** MA of this replication. */
  base: EvaluationResult;
  /** This replication's own full fine-tune on RB_new. */
  full: EvaluationResult;
  masks: readonly {
    selection: MaskSelection;
    kPercent: number;
    /** Random masks: which of the M draws (0 for every other selection). */
    draw: number;
    result: EvaluationResult;
  }[];
}

export interface PooledLocalizationInput {
  rbNew: string;
  aggregator: string;
  replications: readonly ReplicationLocalizationInput[];
  pooling: PoolingOptions;
}

type KEntry = PooledLocalization['ks'][number];

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * P(Σ Gᵣ ≤ Σ gᵣ) for independent Gᵣ uniform on {0, …, Mᵣ}: the pooled permutation p-value of top-k
 * ranked among each replication's Mᵣ random masks, gᵣ = #{draws ≥ top} (ties count against top). With
 * one replication it is (1 + g)/(M + 1), the single-replication permutation p-value.
 */
export function pooledPermutationPValue(counts: readonly { atLeastTop: number; draws: number }[]): number {
  if (counts.length === 0) throw new DeltascopeError('INVALID_SPEC', 'a pooled p-value needs a replication');
  let dist = [1];
  let observed = 0;
  counts.forEach(({ atLeastTop, draws }, r) => {
    if (
      !Number.isInteger(draws) ||
      draws < 1 ||
      !Number.isInteger(atLeastTop) ||
      atLeastTop < 0 ||
      atLeastTop > draws
    ) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `pooled permutation p-value: replication ${r} has ${atLeastTop} of ${draws} random draws at or above top`,
      );
    }
    observed += atLeastTop;
    const next = new Array<number>(dist.length + draws).fill(0);
    dist.forEach((p, s) => {
      for (let g = 0; g <= draws; g++) next[s + g]! += p / (draws + 1);
    });
    dist = next;
  });
  return Math.min(
    1,
    dist.slice(0, observed + 1).reduce((a, b) => a + b, 0),
  );
}

function check(x: readonly number[], n: number, where: string): readonly number[] {
  if (x.length !== n) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `pooled localization, ${where}: ${x.length} episodes where MA has ${n} — evaluate every localization run with the same episodes, seed and numEnvs`,
    );
  }
  return x;
}

/** The localization test of every replication, pooled; null when no replication has MA and its full fine-tune evaluated. */
export function pooledLocalization(input: PooledLocalizationInput): PooledLocalization | null {
  const { rbNew } = input;
  if (input.replications.length === 0) return null;
  const pool = (xs: number[][]) => pooledEffect(xs, input.pooling);
  const gains: number[][] = [];
  const excluded: number[] = [];
  // Per k: per selection (random = mean of draws) the fraction episodes and seeds; per comparison the paired ones.
  type Acc = { seeds: number[]; values: number[][] };
  const fractions = new Map<number, Map<MaskSelection, Acc>>();
  const paired = new Map<number, Map<LocalizationComparison, Acc>>();
  const ranks = new Map<number, { seeds: number[]; draws: number[]; atLeastTop: number[] }>();
  const push = <K>(map: Map<number, Map<K, Acc>>, k: number, key: K, seed: number, values: number[]) => {
    const byKey = map.get(k) ?? new Map<K, Acc>();
    map.set(k, byKey);
    const acc = byKey.get(key) ?? { seeds: [], values: [] };
    byKey.set(key, acc);
    acc.seeds.push(seed);
    acc.values.push(values);
  };
  for (const rep of input.replications) {
    const base = returnsOf(rep.base, rbNew);
    const n = base.length;
    const gain = check(returnsOf(rep.full, rbNew), n, `seed ${rep.seed}, full fine-tune`).map(
      (x, e) => x - base[e]!,
    );
    gains.push(gain);
    const d = mean(gain);
    if (!(d > 0)) {
      excluded.push(rep.seed);
      continue;
    }
    const ks = [...new Set(rep.masks.map((m) => m.kPercent))].sort((a, b) => a - b);
    for (const k of ks) {
      const returns = (selection: MaskSelection): (readonly number[])[] =>
        rep.masks
          .filter((m) => m.kPercent === k && m.selection === selection)
          .sort((a, b) => a.draw - b.draw)
          .map((m) =>
            check(returnsOf(m.result, rbNew), n, `seed ${rep.seed}, ${selection} ${k} % #${m.draw}`),
          );
      const draws = returns('random');
      const randomMean = draws.length === 0 ? null : base.map((_, e) => mean(draws.map((r) => r[e]!)));
      const perSelection = new Map<MaskSelection, readonly number[]>();
      for (const selection of ['top', 'bottom', 'null-drift', 'saliency', 'fisher'] as const) {
        const first = returns(selection)[0];
        if (first !== undefined) perSelection.set(selection, first);
      }
      if (randomMean !== null) perSelection.set('random', randomMean);
      for (const [selection, x] of perSelection) {
        push(
          fractions,
          k,
          selection,
          rep.seed,
          x.map((v, e) => (v - base[e]!) / d),
        );
      }
      const top = perSelection.get('top');
      if (top === undefined) continue;
      for (const versus of LOCALIZATION_COMPARISONS) {
        const other = perSelection.get(versus);
        if (other !== undefined)
          push(
            paired,
            k,
            versus,
            rep.seed,
            top.map((v, e) => (v - other[e]!) / d),
          );
      }
      if (draws.length > 0) {
        const topMean = mean(top);
        const r = ranks.get(k) ?? { seeds: [], draws: [], atLeastTop: [] };
        ranks.set(k, r);
        r.seeds.push(rep.seed);
        r.draws.push(draws.length);
        r.atLeastTop.push(draws.filter((x) => mean(x) >= topMean).length);
      }
    }
  }
  const order: MaskSelection[] = ['top', 'random', 'bottom', 'null-drift', 'saliency', 'fisher'];
  const allKs = [...new Set([...fractions.keys(), ...paired.keys()])].sort((a, b) => a - b);
  const ks = allKs.map((kPercent): KEntry => {
    const f = fractions.get(kPercent) ?? new Map<MaskSelection, Acc>();
    const p = paired.get(kPercent) ?? new Map<LocalizationComparison, Acc>();
    const r = ranks.get(kPercent);
    return {
      kPercent,
      fractions: order.flatMap((selection) => {
        const acc = f.get(selection);
        return acc === undefined ? [] : [{ selection, seeds: acc.seeds, effect: pool(acc.values) }];
      }),
      paired: LOCALIZATION_COMPARISONS.flatMap((versus) => {
        const acc = p.get(versus);
        return acc === undefined ? [] : [{ versus, seeds: acc.seeds, effect: pool(acc.values) }];
      }),
      randomNull:
        r === undefined
          ? null
          : {
              ...r,
              pValue: pooledPermutationPValue(
                r.draws.map((draws, i) => ({ draws, atLeastTop: r.atLeastTop[i]! })),
              ),
            },
    };
  });
  return {
    rbNew,
    aggregator: input.aggregator,
    seeds: input.replications.map((r) => r.seed),
    fullGain: pool(gains),
    excluded,
    ks,
  };
}
