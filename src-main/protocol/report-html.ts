import type {
  LocalizationData,
  NegationTableData,
  PooledEffect,
  ProtocolReport,
  ReportSeed,
} from '../shared';
import { buildConcentrationOptions } from '../shared/charts/concentration-options';
import { buildIntervalLinesOptions } from '../shared/charts/interval-lines-options';
import { buildLineChartOptions } from '../shared/charts/line-chart-options';
import {
  concentrationInput,
  localizationSeries,
  negationSeries,
  pooledNegationSeries,
  recoveryCurveSeries,
} from '../shared/charts/protocol-series';
import { negationMethodRows } from '../shared/tables/protocol-tables';
import { buildSimilarityMatrixOptions } from '../shared/charts/similarity-matrix-options';
import { renderChartSvg, withAxisTitles, type AxisTitles, type ChartSize } from './report-charts';
import { formatInterval, formatNumber } from './statements';

/**
 * The protocol report as ONE self-contained HTML file (inline CSS, charts as inline SVG, no scripts,
 * no external assets). String building over the report data (api/protocol/protocol-report.ts) and the
 * training curves read next to it; each chart is the app's ECharts option (shared/charts) rendered
 * to SVG on this side (report-charts.ts). Its CSV tables are shared/tables/protocol-tables.ts.
 */

/** A training curve: a run's episodic return on its own reward over env steps. */
export interface ReportCurve {
  label: string;
  runId: number;
  key: string;
  steps: number[];
  values: number[];
}

type Interval = { estimate: number; low: number; high: number };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#111827;max-width:1080px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:12.5px}th,td{border:1px solid #e5e7eb;padding:3px 7px;text-align:right}
th{background:#f3f4f6}td:first-child,th:first-child{text-align:left}
.finding{color:#065f46}.null-result{color:#92400e}.note{color:#374151}.not-run{color:#6b7280}
.verdict{margin:8px 0}.verdict strong{text-transform:capitalize}
ul.st li{margin:3px 0}.muted{color:#6b7280}
figure.chart{margin:14px 0}figure.chart figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
figure.chart svg{display:block;max-width:100%;height:auto}.charts{display:flex;gap:24px;flex-wrap:wrap}
pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;font-size:12px;overflow:auto}
`;

function e(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const WIDE: ChartSize = { width: 1000, height: 300 };

/** A titled figure: the chart drawn from the app's option, with axis titles where it has none. */
function figure(
  title: string,
  option: Parameters<typeof withAxisTitles>[0],
  axes: AxisTitles = {},
  size = WIDE,
): string {
  const svg = renderChartSvg(withAxisTitles(option, axes), size).replace(
    /^<svg /,
    `<svg role="img" aria-label="${e(title)}" `,
  );
  return `<figure class="chart"><figcaption>${e(title)}</figcaption>${svg}</figure>`;
}

function ci(x: Interval | null | undefined, percent = false, signed = false): string {
  return x == null ? '–' : e(formatInterval(x, { percent, signed }));
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return (
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}

function successSection(seed: ReportSeed): string {
  return table(
    ['checkpoint', 'reward', 'success', 'mean return'],
    seed.success.map((s) => [e(s.subject), e(s.reward), ci(s.success, true), ci(s.meanReturn)]),
  );
}

/** Each trained policy under every reward: success, and regret vs the reward's own policy. */
function behaviourSection(b: NonNullable<ReportSeed['behaviour']>): string {
  return (
    '<p class="muted">Behavioural similarity: each trained policy evaluated under every reward — success, ' +
    "and regret = the reward's own policy's mean return minus this policy's. Regret near 0 off the " +
    'diagonal means the rewards ask for the same behaviour, whatever their ρ.</p>' +
    table(
      ['policy', ...b.rewards],
      b.rows.map((row) => [
        e(row.policy),
        ...row.cells.map((c) =>
          c.success === null
            ? '–'
            : `${ci(c.success, true)}` + (c.regret === null ? '' : ` · regret ${e(c.regret.toFixed(2))}`),
        ),
      ]),
    )
  );
}

function negationSection(t: NegationTableData): string {
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

function superpositionSection(seed: ReportSeed): string {
  const data = seed.superposition;
  if (data === null) return '<p class="muted">Not computed yet.</p>';
  const input = concentrationInput(data);
  const chart =
    input.tensors.length === 0
      ? ''
      : figure(
          'Per-layer concentration by aggregator vs parameter share',
          buildConcentrationOptions(input),
          { x: 'tensor', y: 'share of Σ|m|' },
          { width: 1000, height: 340 },
        );
  const names = ['parameter share', ...input.maps.map((m) => m.label)];
  const rows = input.tensors.map((tensor, i) => [
    e(tensor),
    ...[input.sizeShare[i] ?? 0, ...input.maps.map((m) => m.share[i] ?? 0)].map((v) =>
      e((v * 100).toFixed(1) + '%'),
    ),
  ]);
  return chart + table(['tensor', ...names], rows);
}

function localizationSection(t: LocalizationData): string {
  const series = localizationSeries(t);
  const chart =
    t.rows.length === 0
      ? ''
      : figure(
          `${t.rbNew} return after fine-tunes of the top / random / bottom k % vs the full fine-tune`,
          buildIntervalLinesOptions({ series, xName: 'k %', yName: `${t.rbNew} return` }),
          { x: 'k (% of parameters trainable)', y: `${t.rbNew} return` },
        );
  return (
    `<p>MA's return on ${e(t.rbNew)}: ${ci(t.base.rbNewReturn)}; full fine-tune: ${ci(t.full.rbNewReturn)} (gain ${ci(t.full.gainOverBase, false, true)}). Masks from the ${e(t.aggregator)} map.</p>` +
    chart +
    table(
      ['selection', 'k %', 'trainable', `${t.rbNew} return`, 'gain over MA', 'fraction of full'],
      [...t.rows]
        .sort((a, b) => a.kPercent - b.kPercent || a.selection.localeCompare(b.selection))
        .map((r) => [
          e(r.selection),
          e(r.kPercent),
          e(`${r.selected} / ${r.total}`),
          ci(r.rbNewReturn),
          ci(r.gainOverBase, false, true),
          ci(r.fractionOfFull, true),
        ]),
    )
  );
}

function similarityFigure(sim: NonNullable<ProtocolReport['similarity']>, which: 'pearson' | 'epic'): string {
  const measure = which === 'pearson' ? 'Pearson ρ' : 'EPIC distance';
  const option = buildSimilarityMatrixOptions({
    labels: sim.names,
    matrix: sim[which],
    scale: which === 'pearson' ? 'correlation' : 'distance',
    measure,
  });
  return figure(measure, option, {}, { width: 480, height: Math.max(150, 36 * sim.names.length + 40) });
}

/** Curve groups: MA's pretraining, the fine-tunes MBᵢ, the localization fine-tunes. */
const CURVE_GROUPS = [
  { part: 'pretrain', title: 'MA pretraining' },
  { part: 'finetune/', title: 'fine-tunes MBᵢ on RBᵢ' },
  { part: 'localize/', title: 'localization fine-tunes on RB_new' },
];

function curvesSection(curves: readonly ReportCurve[], seed: number): string {
  const charts = CURVE_GROUPS.map(({ part, title }) => {
    const mine = curves.filter((c) => c.label.startsWith(`s${seed}/${part}`));
    if (mine.length === 0) return '';
    return figure(
      `Training curves, seed ${seed}: ${title}`,
      buildLineChartOptions({
        series: mine.map((c) => ({
          key: `${c.label.slice(`s${seed}/`.length)} (run #${c.runId})`,
          steps: c.steps,
          values: c.values,
          totalPoints: c.steps.length,
        })),
        smoothing: 0,
      }),
      { x: 'env steps', y: "episodic return (run's reward)" },
    );
  }).join('');
  return charts === '' ? '<p class="muted">No training metrics recorded.</p>' : charts;
}

/** JSON with arrays of plain values kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*([^[\]{}]*?)\s*\]/g,
    (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`,
  );
}

/** The whole report as one HTML document. */
/** Negation effects pooled across replications: method, R, the pooled CI and each replication's value. */
function pooledNegationSection(rows: ProtocolReport['pooledNegation'], raName: string): string {
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

/** The opening: one paragraph per question, coloured by whether it is a finding (shared ReportVerdict). */
function verdictsSection(verdicts: ProtocolReport['verdicts']): string {
  if (verdicts.length === 0) return '';
  const label = { finding: 'finding', 'null-result': 'null result', note: 'mixed', 'not-run': 'not run' };
  return (
    '<h2>Verdicts</h2>' +
    verdicts
      .map(
        (v) =>
          `<p class="verdict ${v.kind}" data-question="${e(v.question)}"><strong>${e(v.question)}</strong> <span class="muted">(${e(label[v.kind])})</span>: ${e(v.text)}</p>`,
      )
      .join('')
  );
}

export function buildReportHtml(report: ProtocolReport, curves: readonly ReportCurve[]): string {
  const out: string[] = [];
  out.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<title>${e(report.name)} — Deltascope protocol report</title><style>${CSS}</style></head><body>`,
    `<h1>${e(report.name)}</h1><p class="muted">Experiment #${e(report.experimentId)}, created ${e(report.createdAt)}; report generated ${e(report.generatedAt)}. ` +
      `${e(report.progress.done)}/${e(report.progress.total)} nodes done${report.progress.failed > 0 ? `, ${e(report.progress.failed)} failed` : ''}${report.progress.complete ? '' : ' — <strong>incomplete</strong>: sections without data are missing'}.</p>`,
    verdictsSection(report.verdicts),
    `<h2>Statements</h2><ul class="st">${report.statements
      .map(
        (s) =>
          `<li class="${s.kind}">${s.seed === null ? '' : `<span class="muted">[seed ${e(s.seed)}]</span> `}${e(s.text)}</li>`,
      )
      .join('')}</ul>`,
  );
  if (report.pooledNegation.length > 0) {
    out.push(
      '<h2>Negation, pooled across replications</h2>',
      pooledNegationSection(report.pooledNegation, report.spec.ra.name),
    );
  }
  if (report.similarity !== null) {
    const sim = report.similarity;
    out.push(
      `<h2>Reward similarity</h2><p class="muted">${e(sim.samples)} uniform-random-policy transitions; EPIC distance 0 = equivalent rewards, 1 = opposite.</p>`,
      `<div class="charts">${similarityFigure(sim, 'pearson')}${similarityFigure(sim, 'epic')}</div>`,
      sim.warnings.length === 0
        ? ''
        : `<ul>${sim.warnings.map((w) => `<li class="null-result">${e(w.message)}</li>`).join('')}</ul>`,
    );
  }
  for (const seed of report.seeds) {
    out.push(`<h2>Seed ${e(seed.seed)}</h2>`, '<h3>Success</h3>', successSection(seed));
    if (seed.behaviour !== undefined && seed.behaviour.rows.some((r) => r.cells.some((c) => c.success))) {
      out.push('<h3>Behaviour under every reward</h3>', behaviourSection(seed.behaviour));
    }
    out.push('<h3>Training curves</h3>', curvesSection(curves, seed.seed));
    out.push(
      '<h3>Negation</h3>',
      seed.negation === null ? '<p class="muted">Not computed yet.</p>' : negationSection(seed.negation),
    );
    out.push('<h3>Superposition: per-tensor concentration</h3>', superpositionSection(seed));
    if (seed.knownAnswer !== null) {
      const k = seed.knownAnswer;
      out.push(
        `<h3>Known-answer check: ${k.pass ? 'passed' : 'failed'}</h3>`,
        table(
          ['aggregator', 'top tensor', `share in ${k.plantedTensor}`, 'rank', 'pass'],
          k.aggregators.map((a) => [
            e(a.aggregator),
            e(a.topTensor),
            e((a.plantedShare * 100).toFixed(1) + '%'),
            e(a.plantedRank),
            a.pass ? 'yes' : 'no',
          ]),
        ),
      );
    }
    if (seed.localization !== null) out.push('<h3>Localization</h3>', localizationSection(seed.localization));
  }
  out.push(
    `<h2>Experiment spec</h2><details><summary>every field, defaults filled in</summary><pre>${e(compactJson(report.spec))}</pre></details>`,
  );
  out.push(
    `<p class="muted">Training runs: ${report.runs.map((r) => `${e(r.nodeId)} = run #${e(r.runId)}`).join(', ')}.</p>`,
  );
  out.push('</body></html>');
  return out.join('\n');
}
