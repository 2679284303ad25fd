import type {
  LocalizationData,
  NegationTableData,
  PooledEffect,
  PooledNegationRow,
  SuperpositionData,
} from '../contract-protocol';
import type { MetricSeries } from '../domain';
import { NEGATION_METHOD_LABELS } from '../negation-verdict';
import type { IntervalPoint, IntervalSeries } from './interval-lines-options';

/**
 * The chart inputs of the protocol's analyses (negation against α, per-tensor concentration,
 * localization against k %), derived once from the analyses' data for the app and the report.
 */

type Interval = { estimate: number; low: number; high: number };
const point = (x: number, interval: Interval): IntervalPoint => ({ x, ...interval });

/**
 * P(collect RBᵢ's object) against α, after recovery on RA (default) or right after the arithmetic:
 * one series per variant (negate, add, random), and MA and the recovered-MA control as flat dashed
 * references over the same α range.
 */
export function negationSeries(
  table: NegationTableData,
  rb: string,
  when: 'before' | 'after' = 'after',
): IntervalSeries[] {
  const rows = table.rows.filter((row) => row.rb === rb);
  const alphas = [...new Set(rows.map((row) => row.alpha))].sort((a, b) => a - b);
  const variants = ['negate', 'random', 'null', 'other', 'add'] as const;
  const series: IntervalSeries[] = variants
    .map((variant) => ({
      name:
        variant === 'negate'
          ? 'MA − α·Δ'
          : variant === 'add'
            ? 'MA + α·Δ'
            : variant === 'random'
              ? 'MA − α·r (random)'
              : `MA − α·Δ_${variant} (norm-matched)`,
      points: rows
        .filter((row) => row.variant === variant && row[when].targetCollect !== null)
        .sort((a, b) => a.alpha - b.alpha)
        .map((row) => point(row.alpha, row[when].targetCollect as Interval)),
    }))
    .filter((s) => s.points.length > 0);
  const flat = (name: string, interval: Interval | null | undefined): void => {
    if (interval === null || interval === undefined || alphas.length === 0) return;
    series.push({ name, dashed: true, points: alphas.map((alpha) => point(alpha, interval)) });
  };
  flat('control (MA recovered)', table.control.measures[rb]?.targetCollect);
  flat('MA', table.base.measures[rb]?.targetCollect);
  return series;
}

/** What a pooled negation chart shows: the specificity contrast (the headline) or the raw Δ P(target). */
export type PooledNegationMeasure = 'contrast' | 'target';

/**
 * The pooled negation effects of RBᵢ against α, one series per method (−Δᵢ, the controls, MA + α·Δᵢ
 * dashed as a curve only, the positive control at α = 1): each point the pooled interval with every
 * replication's value as a dot beside it.
 */
export function pooledNegationSeries(
  rows: readonly PooledNegationRow[],
  rb: string,
  measure: PooledNegationMeasure = 'contrast',
): IntervalSeries[] {
  const pick = (row: PooledNegationRow): PooledEffect | null =>
    measure === 'contrast' ? (row.specificity?.contrast ?? null) : row.targetCollectVsControl;
  const methods = ['negate', 'random', 'null', 'other', 'positive', 'add'] as const;
  return methods
    .map((method): IntervalSeries => ({
      name: NEGATION_METHOD_LABELS[method],
      ...(method === 'add' ? { dashed: true } : {}),
      points: rows
        .filter((row) => row.rb === rb && row.variant === method && pick(row) !== null)
        .sort((a, b) => a.alpha - b.alpha)
        .map((row) => {
          const p = pick(row)!;
          return {
            x: row.alpha,
            estimate: p.estimate,
            low: p.low,
            high: p.high,
            perReplication: p.perReplication,
          };
        }),
    }))
    .filter((s) => s.points.length > 0);
}

/**
 * Recovery-to-criterion curves of RBᵢ at the headline α (1, else the largest): per method with a
 * recovery record (−Δᵢ, the controls, the positive control), RA success (`'success'`) or P(collect kind)
 * at each check against recovery env steps. Empty with fixed-budget recovery.
 */
export function recoveryCurveSeries(
  table: NegationTableData,
  rb: string,
  measure: 'success' | string,
): MetricSeries[] {
  const negate = table.rows
    .filter((r) => r.rb === rb && r.variant === 'negate' && r.alpha > 0)
    .map((r) => r.alpha);
  const alpha = negate.includes(1) ? 1 : negate.length === 0 ? null : Math.max(...negate);
  return table.rows
    .filter(
      (r) =>
        r.rb === rb &&
        r.recovery !== undefined &&
        r.variant !== 'add' &&
        (r.variant === 'positive' || r.alpha === alpha),
    )
    .map((r) => {
      const curve = r.recovery!.curve;
      return {
        key: `${NEGATION_METHOD_LABELS[r.variant]}${r.recovery!.reachedCriterion ? '' : ' (cap)'}`,
        steps: curve.map((p) => p.step),
        values: curve.map((p) => (measure === 'success' ? p.success : (p.collect[measure] ?? Number.NaN))),
        totalPoints: curve.length,
      };
    });
}

/** Per-tensor shares of |m| of every map (and the null map) beside the parameter share. */
export function concentrationInput(data: SuperpositionData): {
  tensors: string[];
  sizeShare: number[];
  maps: { label: string; share: number[] }[];
} {
  const first = data.maps[0]?.concentration ?? data.nullMap?.concentration ?? [];
  const tensors = first.map((c) => c.tensor);
  const shareOf = (concentration: readonly { tensor: string; share: number }[]): number[] =>
    tensors.map((tensor) => concentration.find((c) => c.tensor === tensor)?.share ?? 0);
  return {
    tensors,
    sizeShare: first.map((c) => c.sizeShare),
    maps: [
      ...data.maps.map((map) => ({ label: map.aggregator, share: shareOf(map.concentration) })),
      ...(data.nullMap === null ? [] : [{ label: 'null drift', share: shareOf(data.nullMap.concentration) }]),
    ],
  };
}

/**
 * RB_new return after each masked fine-tune against k %, with the full fine-tune and MA as references.
 * With M random masks per k (`randomNull`) the random series is their null distribution — the median
 * draw with the band of the central 95 % of the draws — instead of one draw; the baselines (null-drift,
 * gradient saliency, Fisher top-k) are series of their own.
 */
export function localizationSeries(data: LocalizationData): IntervalSeries[] {
  const ks = [...new Set(data.rows.map((row) => row.kPercent))].sort((a, b) => a - b);
  const label: Record<string, string> = {
    top: 'top k %',
    random: 'random k %',
    bottom: 'bottom k %',
    'null-drift': 'null-drift top k %',
    saliency: 'saliency top k %',
    fisher: 'Fisher top k %',
  };
  const nulls = data.randomNull ?? [];
  const series: IntervalSeries[] = (['top', 'random', 'bottom', 'null-drift', 'saliency', 'fisher'] as const)
    .map((selection) => {
      if (selection === 'random' && nulls.length > 0) {
        return {
          name: `random k % (${nulls[0]!.draws} draws: median, 95 % of draws)`,
          points: [...nulls]
            .sort((a, b) => a.kPercent - b.kPercent)
            .map((n) => {
              const sorted = [...n.drawMeans].sort((a, b) => a - b);
              const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
              return point(n.kPercent, { estimate: median, low: n.band.low, high: n.band.high });
            }),
        };
      }
      return {
        name: label[selection]!,
        points: data.rows
          .filter((row) => row.selection === selection && (row.draw ?? 0) === 0)
          .sort((a, b) => a.kPercent - b.kPercent)
          .map((row) => point(row.kPercent, row.rbNewReturn)),
      };
    })
    .filter((s) => s.points.length > 0);
  series.push({
    name: 'full fine-tune',
    dashed: true,
    points: ks.map((k) => point(k, data.full.rbNewReturn)),
  });
  series.push({ name: 'MA', dashed: true, points: ks.map((k) => point(k, data.base.rbNewReturn)) });
  return series;
}
