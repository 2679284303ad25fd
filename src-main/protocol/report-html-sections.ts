import type { LocalizationData, ProtocolReport, ReportSeed } from '../shared';
import { buildConcentrationOptions } from '../shared/charts/concentration-options';
import { buildIntervalLinesOptions } from '../shared/charts/interval-lines-options';
import { buildLineChartOptions } from '../shared/charts/line-chart-options';
import { concentrationInput, localizationSeries } from '../shared/charts/protocol-series';
import { buildSimilarityMatrixOptions } from '../shared/charts/similarity-matrix-options';
import { ci, e, figure, table } from './report-html-kit';

/** The report's other sections: verdicts, success, behaviour, training curves, superposition, known answer, localization, similarity. */

/** A training curve: a run's episodic return on its own reward over env steps. */
export interface ReportCurve {
  label: string;
  runId: number;
  key: string;
  steps: number[];
  values: number[];
}

/** The opening: one paragraph per question, coloured by whether it is a finding (shared ReportVerdict). */
export function verdictsSection(verdicts: ProtocolReport['verdicts']): string {
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

export function successSection(seed: ReportSeed): string {
  return table(
    ['checkpoint', 'reward', 'success', 'mean return'],
    seed.success.map((s) => [e(s.subject), e(s.reward), ci(s.success, true), ci(s.meanReturn)]),
  );
}

/** Each trained policy under every reward: success, and regret vs the reward's own policy. */
export function behaviourSection(b: NonNullable<ReportSeed['behaviour']>): string {
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

/** Curve groups: MA's pretraining, the fine-tunes MBᵢ, the localization fine-tunes. */
const CURVE_GROUPS = [
  { part: 'pretrain', title: 'MA pretraining' },
  { part: 'finetune/', title: 'fine-tunes MBᵢ on RBᵢ' },
  { part: 'localize/', title: 'localization fine-tunes on RB_new' },
];

export function curvesSection(curves: readonly ReportCurve[], seed: number): string {
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

export function superpositionSection(seed: ReportSeed): string {
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

export function localizationSection(t: LocalizationData): string {
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

export function similarityFigure(
  sim: NonNullable<ProtocolReport['similarity']>,
  which: 'pearson' | 'epic',
): string {
  const measure = which === 'pearson' ? 'Pearson ρ' : 'EPIC distance';
  const option = buildSimilarityMatrixOptions({
    labels: sim.names,
    matrix: sim[which],
    scale: which === 'pearson' ? 'correlation' : 'distance',
    measure,
  });
  return figure(measure, option, {}, { width: 480, height: Math.max(150, 36 * sim.names.length + 40) });
}

/** The known-answer check of one replication: where each aggregator put the planted tensor. */
export function knownAnswerSection(k: NonNullable<ReportSeed['knownAnswer']>): string {
  return (
    `<h3>Known-answer check: ${k.pass ? 'passed' : 'failed'}</h3>` +
    table(
      ['aggregator', 'top tensor', `share in ${k.plantedTensor}`, 'rank', 'pass'],
      k.aggregators.map((a) => [
        e(a.aggregator),
        e(a.topTensor),
        e((a.plantedShare * 100).toFixed(1) + '%'),
        e(a.plantedRank),
        a.pass ? 'yes' : 'no',
      ]),
    )
  );
}
