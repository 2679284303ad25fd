import type { NegationTableData, PooledEffect, ProtocolReport } from '../shared';
import { buildIntervalLinesOptions } from '../shared/charts/interval-lines-options';
import { buildLineChartOptions } from '../shared/charts/line-chart-options';
import { negationSeries, pooledNegationSeries, recoveryCurveSeries } from '../shared/charts/protocol-series';
import { negationMethodRows } from '../shared/tables/protocol-tables';
import { ci, e, figure, table } from './report-html-kit';
import { formatNumber } from './statements';

/** The report's negation sections: one replication's table and α plots, and the effects pooled across replications. */

export function negationSection(t: NegationTableData): string {
  const rows = [...t.rows].sort((a, b) =>
    a.rb === b.rb
      ? a.variant === b.variant
        ? a.alpha - b.alpha
        : a.variant.localeCompare(b.variant)
      : a.rb.localeCompare(b.rb),
  );
  const tableHtml = table(
    [
      'RB',
      'variant',
      'α',
      'P(target) before',
      'P(target) after recovery',
      `${t.raName} return after`,
      'Δ P(target) vs control',
      'Δ P(target) vs random',
      `Δ ${t.raName} return vs control`,
    ],
    rows.map((r) => [
      e(r.rb),
      e(r.variant),
      e(r.alpha),
      ci(r.before.targetCollect, true),
      ci(r.after.targetCollect, true),
      ci(r.after.raReturn),
      ci(r.afterVsControl.targetCollect, true, true),
      ci(r.afterVsRandom?.targetCollect ?? null, true, true),
      ci(r.afterVsControl.raReturn, false, true),
    ]),
  );
  const plots = t.rbs
    .map((rb) => {
      const series = negationSeries(t, rb.name);
      if (series.length === 0) return '';
      const target = `P(collect ${rb.targetKind ?? '?'})`;
      return figure(
        `${rb.name}: ${target} after recovery on ${t.raName}, against α`,
        buildIntervalLinesOptions({ series, xName: 'α', yName: target, highlightX: 1, yRange: [0, 1] }),
        { x: 'α', y: target },
      );
    })
    .join('');
  const recovery = t.rbs
    .flatMap((rb) =>
      (['success', rb.targetKind] as const).map((measure) => {
        if (measure === null) return '';
        const series = recoveryCurveSeries(t, rb.name, measure);
        if (series.length === 0) return '';
        const y = measure === 'success' ? `${t.raName} success` : `P(collect ${measure})`;
        return figure(
          `${rb.name}: recovery to criterion — ${y} against recovery steps, per method`,
          buildLineChartOptions({ series, smoothing: 0 }),
          { x: 'recovery env steps', y },
        );
      }),
    )
    .join('');
  return `<p class="muted">${e(t.episodes)} held-out episodes per checkpoint, ${Math.round(t.confidence * 100)}% intervals (${e(t.bootstrapResamples)} paired bootstrap resamples; P by Wilson).</p>${plots}${recovery}${tableHtml}`;
}

/** Negation effects pooled across replications: method, R, the pooled CI and each replication's value. */
export function pooledNegationSection(rows: ProtocolReport['pooledNegation'], raName: string): string {
  const perRep = (p: PooledEffect | null): string =>
    p === null ? '–' : e(p.perReplication.map((x) => formatNumber(x, 2, true)).join(', '));
  const pooled = (p: PooledEffect | null, percent: boolean): string =>
    p === null ? '–' : `${ci(p, percent, true)}${p.replicated ? '' : ' <strong>not replicated</strong>'}`;
  const methods = negationMethodRows(rows);
  const rbs = [...new Set(rows.map((r) => r.rb))];
  const charts = rbs
    .map((rb) => {
      const series = pooledNegationSeries(rows, rb, 'contrast');
      return series.length === 0
        ? ''
        : figure(
            `${rb}: specificity contrast vs control, pooled (dots: each replication)`,
            buildIntervalLinesOptions({
              series,
              xName: 'α',
              yName: 'Δ P(target) − mean Δ P(others)',
              highlightX: 1,
            }),
            { y: 'contrast' },
          );
    })
    .join('');
  const steps = (m: (typeof methods)[number]): string =>
    m.stepsToCriterion === null
      ? '–'
      : `${m.stepsToCriterion.median === null ? '–' : e(m.stepsToCriterion.median)} (${e(m.stepsToCriterion.reached)}/${e(m.stepsToCriterion.of)} recovered)`;
  const ilharco =
    methods.length === 0
      ? ''
      : `<h3>Methods at the headline α (Ilharco et al. style)</h3><p class="muted">Per RB and method: the pooled drop of P(target) vs the recovered control, the retention of ${e(raName)} (success / the control's), the specificity contrast, and steps to criterion (median over the replications that recovered).</p>` +
        table(
          ['RB', 'method', 'α', 'R', 'Δ P(target)', `${raName} retention`, 'contrast', 'steps to criterion'],
          methods.map((m) => [
            e(m.rb),
            e(m.label),
            e(m.alpha),
            e(m.replications),
            pooled(m.targetDrop, true),
            m.raRetention === null ? '–' : ci(m.raRetention, true),
            pooled(m.contrast, true),
            steps(m),
          ]),
        );
  return (
    charts +
    ilharco +
    `<p class="muted">Per point: the per-episode difference of the recovered checkpoint and its replication's control, ` +
    `pooled across replications — a t-interval over per-replication effects when R ≥ 5, else a hierarchical bootstrap ` +
    `(replications, then episodes); with R &lt; 3 the effect is not replicated and never a finding.</p>` +
    table(
      [
        'RB',
        'variant',
        'α',
        'R',
        'method',
        'Δ P(target) vs control, pooled',
        'per replication',
        `Δ ${raName} return vs control, pooled`,
      ],
      rows.map((r) => {
        const main = r.targetCollectVsControl ?? r.raReturnVsControl;
        return [
          e(r.rb),
          e(r.variant),
          e(r.alpha),
          e(main.replications),
          e(main.method),
          pooled(r.targetCollectVsControl, true),
          perRep(r.targetCollectVsControl ?? r.raReturnVsControl),
          pooled(r.raReturnVsControl, false),
        ];
      }),
    )
  );
}
