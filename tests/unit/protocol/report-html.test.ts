import { describe, expect, it } from 'vitest';
import { pooledEffect } from '../../../src-main/engine/pooling';
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

  it("draws the similarity matrices, training curves, α plots, concentration and localization as the app's ECharts charts in SVG", () => {
    const charts = svgs(html);
    const labels = charts.map((svg) => (/aria-label="([^"]*)"/.exec(svg)?.[1] ?? '').replace(/&#39;/g, "'"));
    expect(labels).toEqual([
      'Pearson ρ',
      'EPIC distance',
      'Training curves, seed 1: MA pretraining',
      'Training curves, seed 1: fine-tunes MBᵢ on RBᵢ',
      'coin: P(collect coin) after recovery on RA, against α',
      'gem: P(collect red_gem) after recovery on RA, against α',
      'Per-layer concentration by aggregator vs parameter share',
      'blue return after fine-tunes of the top / random / bottom k % vs the full fine-tune',
    ]);
    for (const svg of charts) {
      const paths = svg.match(/<path d="M[^"]+"/g) ?? [];
      expect(paths.length).toBeGreaterThan(0);
      // Labels are quoted so that the style attributes stay well-formed.
      expect(svg).not.toMatch(/style="[^"]*"[^ >]/);
    }
    // A training curve is one line through every point (20 readings), titled on both axes.
    const curve = (charts[2]!.match(/<path d="M[^"]+"[^>]*stroke-width="2"/g) ?? []).filter(
      (path) => path.split('L').length === 20,
    );
    expect(curve).toHaveLength(1);
    expect(charts[2]).toContain('>env steps</text>');
    expect(charts[2]).toContain('>episodic return (run&#39;s reward)</text>');
    // The α plot names its axes and draws the α = 1 mark.
    expect(charts[4]).toContain('>P(collect coin)</text>');
    expect(charts[4]).toContain('>α = 1</text>');
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

  it('shows the pooled negation table with its method, R and each replication, flagging R < 3 as not replicated', () => {
    const report = reportFixture();
    const options = { resamples: 200, confidence: 0.95, seed: 2 };
    const reps = (effects: number[]): number[][] =>
      effects.map((x) => Array.from({ length: 20 }, (_, e) => (e < -x * 20 ? -1 : 0)));
    report.pooledNegation = [
      {
        rb: 'coin',
        variant: 'negate',
        alpha: 1,
        seeds: [1, 2, 3, 4, 5],
        targetCollectVsControl: pooledEffect(reps([-0.2, -0.25, -0.3, -0.2, -0.25]), options),
        raReturnVsControl: pooledEffect(reps([0, 0, 0, 0, 0]), options),
      },
      {
        rb: 'gem',
        variant: 'negate',
        alpha: 1,
        seeds: [1],
        targetCollectVsControl: pooledEffect(reps([-0.5]), options),
        raReturnVsControl: pooledEffect(reps([0]), options),
      },
    ];
    const html = buildReportHtml({ ...report, statements: reportStatements(report) }, curvesFixture());
    expect(html).toContain('<h2>Negation, pooled across replications</h2>');
    expect(html).toContain('<td>t-interval</td>');
    expect(html).toContain('<td>−0.20, −0.25, −0.30, −0.20, −0.25</td>');
    expect(html).toMatch(
      /<td>1<\/td><td>hierarchical-bootstrap<\/td><td>−50% \[[^\]]*\] <strong>not replicated<\/strong><\/td>/,
    );
    expect(buildReportHtml(withStatements(), curvesFixture())).not.toContain(
      'pooled across replications</h2>',
    );
  });
});
