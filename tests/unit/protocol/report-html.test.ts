import { describe, expect, it } from 'vitest';
import { buildReportHtml, reportCsvTables, reportStatements } from '../../../src-main/protocol';
import { curvesFixture, reportFixture } from './report-fixture';

function withStatements(): ReturnType<typeof reportFixture> {
  const report = reportFixture();
  return { ...report, statements: reportStatements(report) };
}

/** The `<svg>…</svg>` elements of a document. */
function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

describe('the self-contained HTML report', () => {
  const html = buildReportHtml(withStatements(), curvesFixture());

  it('is one document with inline CSS and no scripts or external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|src=|href="http/);
    // The experiment name is escaped.
    expect(html).toContain('fixture &lt;&amp;&gt;');
  });

  it('draws the similarity matrices, training curves, α plots, concentration and localization as SVG with drawn paths', () => {
    const charts = svgs(html);
    const labels = charts.map((svg) => (/aria-label="([^"]*)"/.exec(svg)?.[1] ?? '').replace(/&#39;/g, "'"));
    expect(labels).toEqual([
      'Pearson ρ',
      'EPIC distance',
      'Training curves, seed 1: MA pretraining',
      'Training curves, seed 1: fine-tunes MBᵢ on RBᵢ',
      'coin: P(collect coin) after recovery on RA',
      'gem: P(collect red_gem) after recovery on RA',
      'Share of each relevance map’s mass per tensor (vs parameter share and null drift)',
      "Fraction of the full fine-tune's gain on blue recovered by masked fine-tunes",
    ]);
    for (const svg of charts) {
      const paths = svg.match(/<path d="M[^"]+"/g) ?? [];
      expect(paths.length).toBeGreaterThan(0);
    }
    // A training curve is one line through every point.
    const curve = charts[2]!.match(/<path d="M[^"]+" fill="none"/g)!;
    expect(curve).toHaveLength(1);
    expect(curve[0]!.split('L')).toHaveLength(20);
  });

  it('holds the tables and the statements', () => {
    expect(html).toContain('<h3>Negation</h3>');
    expect((html.match(/<td>negate<\/td>/g) ?? []).length).toBe(4);
    expect(html).toContain('71% [60, 80]');
    expect(html).toContain('MA succeeds on RA in 87% [82, 92]');
    expect(html).toContain('&quot;pretrainSteps&quot;: 256');
  });

  it('writes CSV tables with a row per negation point and interval columns', () => {
    const tables = new Map(reportCsvTables(withStatements()).map((t) => [t.suffix, t.content]));
    expect([...tables.keys()]).toEqual([
      'success',
      'negation',
      'superposition',
      'localization',
      'similarity',
    ]);
    const negation = tables.get('negation')!.trim().split('\n');
    expect(negation).toHaveLength(1 + 12);
    expect(negation[0]).toContain(
      'd_p_target_vs_control,d_p_target_vs_control_low,d_p_target_vs_control_high',
    );
    const similarity = tables.get('similarity')!.trim().split('\n');
    expect(similarity).toContain('gem,blue,,');
  });
});
