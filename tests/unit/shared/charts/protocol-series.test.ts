import { reportFixture } from '../../protocol/report-fixture';
import { describe, expect, it } from 'vitest';
import {
  buildIntervalLinesOptions,
  REPLICATION_SUFFIX,
} from '../../../../src-main/shared/charts/interval-lines-options';
import {
  localizationSeries,
  negationSeries,
  pooledNegationSeries,
  recoveryCurveSeries,
} from '../../../../src-main/shared/charts/protocol-series';
import type { PooledNegationRow } from '../../../../src-main/shared/contract-protocol';
import { negationTable as table } from '../tables/protocol-table-fixture';

describe('protocol series', () => {
  it('plots P(collect) after recovery per variant against α, with MA and the control as flat references', () => {
    const series = negationSeries(table, 'coin');
    expect(series.map((s) => s.name)).toEqual([
      'MA − α·Δ',
      'MA − α·r (random)',
      'MA + α·Δ',
      'control (MA recovered)',
      'MA',
    ]);
    expect(series[0]?.points.map((p) => [p.x, p.estimate])).toEqual([
      [0.5, 0.2],
      [1, 0.2],
    ]);
    expect(series[3]?.dashed).toBe(true);
    expect(negationSeries(table, 'coin', 'before')[0]?.points.map((p) => p.estimate)).toEqual([0.3, 0.3]);
    expect(series[3]?.points.map((p) => p.estimate)).toEqual([0.45, 0.45]);
  });
});

describe('pooled negation chart', () => {
  const effect = (estimate: number, perReplication: number[]) => ({
    method: 'hierarchical-bootstrap' as const,
    replications: perReplication.length,
    replicated: true,
    estimate,
    low: estimate - 0.05,
    high: estimate + 0.05,
    perReplication,
  });
  const row = (variant: PooledNegationRow['variant'], alpha: number, reps: number[]): PooledNegationRow => {
    const e = effect(reps.reduce((a, b) => a + b) / reps.length, reps);
    return {
      rb: 'coin',
      variant,
      alpha,
      seeds: [1, 2, 3],
      targetCollectVsControl: e,
      raReturnVsControl: e,
      specificity: { perKind: [], raSuccessVsControl: e, contrast: e },
    };
  };
  const rows = [
    row('negate', 0.5, [-0.1, -0.05, -0.15]),
    row('negate', 1, [-0.2, -0.1, -0.3]),
    row('random', 1, [0, 0.02, -0.02]),
    row('positive', 1, [-0.4, -0.35, -0.45]),
  ];

  it('draws each replication as a dot beside the pooled interval, in the app and the report alike', () => {
    const series = pooledNegationSeries(rows, 'coin');
    expect(series.map((s) => s.name)).toEqual([
      'MA − α·Δᵢ',
      'random direction (movable, norm-matched)',
      'positive control: MA fine-tuned on −RBᵢ',
    ]);
    expect(series[0]!.points[1]!.perReplication).toEqual([-0.2, -0.1, -0.3]);
    const option = buildIntervalLinesOptions({ series, xName: 'α', yName: 'contrast' });
    const all = option.series as { type: string; id: string; data: unknown[] }[];
    const dots = all.filter((s) => s.type === 'scatter');
    expect(dots.map((d) => d.id)).toEqual(series.map((s) => `${s.name}${REPLICATION_SUFFIX}`));
    // Category x of each dot is its α; the values are the replications' own.
    expect(dots[0]!.data).toEqual([
      ['0.5', -0.1],
      ['0.5', -0.05],
      ['0.5', -0.15],
      ['1', -0.2],
      ['1', -0.1],
      ['1', -0.3],
    ]);
    // Without per-replication values (one replication's analyses) no dot series is drawn.
    const plain = buildIntervalLinesOptions({
      series: [{ name: 'x', points: [{ x: 1, estimate: 0, low: -1, high: 1 }] }],
      xName: 'α',
      yName: 'y',
    });
    expect((plain.series as { type: string }[]).some((s) => s.type === 'scatter')).toBe(false);
  });
});

describe('recovery curves', () => {
  it('draws RA success and P(target) against recovery steps per method at the headline α, marking a capped run', () => {
    const rows = table.rows.map((r) =>
      r.rb === 'coin' && r.alpha === 1 && (r.variant === 'negate' || r.variant === 'random')
        ? {
            ...r,
            recovery: {
              runId: 9,
              steps: r.variant === 'negate' ? 4096 : 8192,
              reachedCriterion: r.variant === 'negate',
              curve: [
                { step: 0, success: 0.3, collect: { coin: 0.1 } },
                { step: 4096, success: 0.6, collect: { coin: 0.15 } },
              ],
            },
          }
        : r,
    );
    const series = recoveryCurveSeries({ ...table, rows }, 'coin', 'success');
    expect(series.map((s) => s.key)).toEqual(['MA − α·Δᵢ', 'random direction (movable, norm-matched) (cap)']);
    expect(series[0]).toMatchObject({ steps: [0, 4096], values: [0.3, 0.6] });
    expect(recoveryCurveSeries({ ...table, rows }, 'coin', 'coin')[0]!.values).toEqual([0.1, 0.15]);
    expect(recoveryCurveSeries(table, 'coin', 'success')).toEqual([]);
  });
});

describe('localization series', () => {
  it('draws the M random masks as their median with the band of the central 95 % of draws, and each baseline as a series', () => {
    const loc = reportFixture().seeds[0]!.localization!;
    const row = loc.rows[0]!;
    const data = {
      ...loc,
      rows: [
        ...loc.rows.filter((r) => r.selection !== 'random'),
        ...[0, 1, 2].map((draw) => ({ ...row, selection: 'random' as const, draw })),
        { ...row, selection: 'saliency' as const },
      ],
      randomNull: [
        {
          kPercent: 5,
          draws: 3,
          drawMeans: [0.3, 0.1, 0.2],
          topMean: 0.5,
          percentile: 1,
          pValue: 0.25,
          band: { low: 0.1, high: 0.3 },
        },
      ],
    };
    const series = localizationSeries(data);
    const random = series.find((s) => s.name.startsWith('random k %'))!;
    expect(random.name).toBe('random k % (3 draws: median, 95 % of draws)');
    expect(random.points).toEqual([{ x: 5, estimate: 0.2, low: 0.1, high: 0.3 }]);
    expect(series.map((s) => s.name)).toContain('saliency top k %');
  });
});
