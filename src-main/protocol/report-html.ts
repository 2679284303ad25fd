import type { ProtocolReport } from '../shared';
import { CSS, e } from './report-html-kit';
import { knownAnswerChecksSection } from './report-html-known-answer';
import { pooledLocalizationSection } from './report-html-localization';
import { negationSection, pooledNegationSection } from './report-html-negation';
import { relevanceMapsSection, type ReportRelevanceMap } from './report-html-relevance';
import {
  behaviourSection,
  curvesSection,
  knownAnswerSection,
  localizationSection,
  similarityFigure,
  successSection,
  superpositionSection,
  verdictsSection,
  type ReportCurve,
} from './report-html-sections';

export type { ReportCurve } from './report-html-sections';

/**
 * The protocol report as ONE self-contained HTML file (inline CSS, charts as inline SVG, no scripts,
 * no external assets). String building over the report data (api/protocol/protocol-report.ts) and the
 * training curves read next to it; each chart is the app's ECharts option (shared/charts) rendered
 * to SVG on this side (report-charts.ts). The sections are report-html-sections.ts and
 * report-html-negation.ts, their building blocks report-html-kit.ts; the CSV tables are
 * shared/tables/protocol-tables.ts.
 */

/** JSON with arrays of plain values kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*([^[\]{}]*?)\s*\]/g,
    (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`,
  );
}

/** The whole report as one HTML document. */
export function buildReportHtml(
  report: ProtocolReport,
  curves: readonly ReportCurve[],
  maps: readonly ReportRelevanceMap[] = [],
): string {
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
  if (report.pooledLocalization !== null && report.pooledLocalization.ks.length > 0) {
    out.push(
      '<h2>Localization, pooled across replications</h2>',
      pooledLocalizationSection(report.pooledLocalization),
    );
  }
  const knownAnswer = knownAnswerChecksSection(report.seeds);
  if (knownAnswer !== '') out.push('<h2>Known-answer checks, per replication</h2>', knownAnswer);
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
    out.push(relevanceMapsSection(maps.filter((m) => m.seed === seed.seed)));
    if (seed.knownAnswer !== null) out.push(knownAnswerSection(seed.knownAnswer));
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
