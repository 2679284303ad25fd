import type { LocalizationData, NegationTableData, ProtocolReport, ReportSeed } from '../shared';
import { barChartSvg, escapeXml, lineChartSvg, matrixSvg, type LineSeries } from './report-svg';
import { formatInterval } from './statements';

/**
 * The protocol report as ONE self-contained HTML file (inline CSS, charts as inline SVG, no scripts,
 * no external assets) and its tables as CSV. Pure string building over the report data
 * (api/protocol-report.ts) and the training curves read next to it.
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
.finding{color:#065f46}.null-result{color:#92400e}.note{color:#374151}
ul.st li{margin:3px 0}.muted{color:#6b7280}
svg{display:block;margin:10px 0;max-width:100%;height:auto}
svg .t{font:600 13px system-ui,sans-serif}svg .l{font:12px system-ui,sans-serif;fill:#374151}
svg .k{font:10.5px system-ui,sans-serif;fill:#374151}svg .v{font:11px system-ui,sans-serif;fill:#111827}
svg .g{stroke:#f1f5f9}svg .a{stroke:#9ca3af}
pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;font-size:12px;overflow:auto}
`;

function e(text: string | number): string {
  return escapeXml(String(text));
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
      const control = t.control.measures[rb.name]?.targetCollect ?? null;
      const series: LineSeries[] = (['negate', 'add', 'random'] as const).flatMap((variant) => {
        const points = t.rows
          .filter((r) => r.rb === rb.name && r.variant === variant && r.after.targetCollect !== null)
          .sort((a, b) => a.alpha - b.alpha);
        if (points.length === 0) return [];
        return [
          {
            name: variant === 'negate' ? 'MA − α·Δ' : variant === 'add' ? 'MA + α·Δ' : 'MA − α·r (random)',
            xs: points.map((p) => p.alpha),
            ys: points.map((p) => p.after.targetCollect!.estimate),
            lows: points.map((p) => p.after.targetCollect!.low),
            highs: points.map((p) => p.after.targetCollect!.high),
            dashed: variant === 'random',
          },
        ];
      });
      if (series.length === 0) return '';
      return lineChartSvg(series, {
        title: `${rb.name}: P(collect ${rb.targetKind ?? '?'}) after recovery on ${t.raName}`,
        xLabel: 'α',
        yLabel: `P(${rb.targetKind ?? 'target'})`,
        references: control === null ? [] : [{ y: control.estimate, label: 'control (MA recovered)' }],
      });
    })
    .join('');
  return `<p class="muted">${e(t.episodes)} held-out episodes per checkpoint, ${Math.round(t.confidence * 100)}% intervals (${e(t.bootstrapResamples)} paired bootstrap resamples; P by Wilson).</p>${plots}${tableHtml}`;
}

function superpositionSection(seed: ReportSeed): string {
  const data = seed.superposition;
  if (data === null) return '<p class="muted">Not computed yet.</p>';
  const tensors = data.maps[0]?.concentration.map((c) => c.tensor) ?? [];
  const names = [
    'parameter share',
    ...data.maps.map((m) => m.aggregator),
    ...(data.nullMap ? ['null drift'] : []),
  ];
  const groups = tensors.map((tensor) => {
    const of = (list: { tensor: string; share: number }[] | undefined): number =>
      list?.find((c) => c.tensor === tensor)?.share ?? 0;
    return {
      label: tensor,
      values: [
        data.maps[0]?.concentration.find((c) => c.tensor === tensor)?.sizeShare ?? 0,
        ...data.maps.map((m) => of(m.concentration)),
        ...(data.nullMap ? [of(data.nullMap.concentration)] : []),
      ],
    };
  });
  const chart = barChartSvg(groups, names, {
    title: 'Share of each relevance map’s mass per tensor (vs parameter share and null drift)',
    yLabel: 'share of Σ|m|',
  });
  const rows = groups.map((g) => [e(g.label), ...g.values.map((v) => e((v * 100).toFixed(1) + '%'))]);
  return chart + table(['tensor', ...names], rows);
}

function localizationSection(t: LocalizationData): string {
  const series: LineSeries[] = (['top', 'random', 'bottom'] as const).flatMap((selection) => {
    const rows = t.rows
      .filter((r) => r.selection === selection && r.fractionOfFull !== null)
      .sort((a, b) => a.kPercent - b.kPercent);
    if (rows.length === 0) return [];
    return [
      {
        name: `${selection} k %`,
        xs: rows.map((r) => r.kPercent),
        ys: rows.map((r) => r.fractionOfFull!.estimate),
        lows: rows.map((r) => r.fractionOfFull!.low),
        highs: rows.map((r) => r.fractionOfFull!.high),
        dashed: selection !== 'top',
      },
    ];
  });
  const chart =
    series.length === 0
      ? ''
      : lineChartSvg(series, {
          title: `Fraction of the full fine-tune's gain on ${t.rbNew} recovered by masked fine-tunes`,
          xLabel: 'k (% of parameters trainable)',
          yLabel: 'fraction of full gain',
          yClamp: [-1, 2],
          references: [
            { y: 1, label: 'full fine-tune' },
            { y: 0, label: 'MA' },
          ],
        });
  return (
    `<p>MA's return on ${e(t.rbNew)}: ${ci(t.base.rbNewReturn)}; full fine-tune: ${ci(t.full.rbNewReturn)} (gain ${ci(t.full.gainOverBase, false, true)}). Masks from the ${e(t.aggregator)} map; the chart's axis is clipped to [−1, 2].</p>` +
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
    return lineChartSvg(
      mine.map((c) => ({
        name: `${c.label.slice(`s${seed}/`.length)} (run #${c.runId})`,
        xs: c.steps,
        ys: c.values,
      })),
      {
        title: `Training curves, seed ${seed}: ${title}`,
        xLabel: 'env steps',
        yLabel: "episodic return (run's reward)",
      },
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
export function buildReportHtml(report: ProtocolReport, curves: readonly ReportCurve[]): string {
  const out: string[] = [];
  out.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<title>${e(report.name)} — Deltascope protocol report</title><style>${CSS}</style></head><body>`,
    `<h1>${e(report.name)}</h1><p class="muted">Experiment #${e(report.experimentId)}, created ${e(report.createdAt)}; report generated ${e(report.generatedAt)}. ` +
      `${e(report.progress.done)}/${e(report.progress.total)} nodes done${report.progress.failed > 0 ? `, ${e(report.progress.failed)} failed` : ''}${report.progress.complete ? '' : ' — <strong>incomplete</strong>: sections without data are missing'}.</p>`,
    `<h2>Statements</h2><ul class="st">${report.statements
      .map(
        (s) =>
          `<li class="${s.kind}">${s.seed === null ? '' : `<span class="muted">[seed ${e(s.seed)}]</span> `}${e(s.text)}</li>`,
      )
      .join('')}</ul>`,
  );
  if (report.similarity !== null) {
    const sim = report.similarity;
    out.push(
      `<h2>Reward similarity</h2><p class="muted">${e(sim.samples)} uniform-random-policy transitions; EPIC distance 0 = equivalent rewards, 1 = opposite.</p>`,
      `<div style="display:flex;gap:24px;flex-wrap:wrap">${matrixSvg(sim.names, sim.pearson, { title: 'Pearson ρ', signed: true })}${matrixSvg(sim.names, sim.epic, { title: 'EPIC distance' })}</div>`,
      sim.warnings.length === 0
        ? ''
        : `<ul>${sim.warnings.map((w) => `<li class="null-result">${e(w.message)}</li>`).join('')}</ul>`,
    );
  }
  for (const seed of report.seeds) {
    out.push(`<h2>Seed ${e(seed.seed)}</h2>`, '<h3>Success</h3>', successSection(seed));
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
