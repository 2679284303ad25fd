import { describe, expect, it } from 'vitest';
import { buildReportHtml, reportCsvTables } from '../../../src-main/protocol';
import { plantedReplications, pooled } from './localization-pooling-fixture';
import { reportFixture } from './report-fixture';

/** The HTML of the pooled localization section. */
function section(html: string): string {
  const start = html.indexOf('<h2>Localization, pooled across replications</h2>');
  expect(start).toBeGreaterThan(0);
  const end = html.indexOf('<h2>', start + 10);
  return html.slice(start, end);
}

const rowsOf = (html: string): string[][] =>
  [...html.matchAll(/<tr>((?:<td>[\s\S]*?<\/td>)+)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!),
  );

describe('the pooled localization in the HTML report', () => {
  const report = { ...reportFixture(), pooledLocalization: pooled(plantedReplications(3)) };
  const html = buildReportHtml(report, []);

  it('opens with the denominators: each replication against its own full fine-tune', () => {
    const s = section(html);
    expect(html.indexOf('<h2>Statements</h2>')).toBeLessThan(html.indexOf('<h2>Localization, pooled'));
    expect(s).toMatch(/per replication seed 1: \+0\.\d\d, seed 2: \+0\.\d\d, seed 3: \+0\.\d\d/);
    expect(s).toContain('pooled permutation p = 0.005');
  });

  it('draws a forest plot with every replication as a dot on each row, and the table beside it', () => {
    const s = section(html);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(s)![0];
    expect(svg).toContain('aria-label="k = 20 %: fraction of each replication');
    const hollow = svg.match(/<path [^>]*fill="#fff"/g) ?? [];
    expect(hollow).toHaveLength(3 * 10);
    const rows = rowsOf(s);
    expect(rows).toHaveLength(10);
    const paired = rows.filter((r) => r[0]!.startsWith('top − '));
    expect(paired.map((r) => r[4])).toEqual(Array(4).fill('above 0: beats it'));
    for (const r of rows) expect(r[3]).toMatch(/^seed 1: [+−]?\d+, seed 2: [+−]?\d+, seed 3: [+−]?\d+$/);
  });

  it('flags an unreplicated test in its table and leaves the section out without a pooled test', () => {
    const one = buildReportHtml(
      { ...reportFixture(), pooledLocalization: pooled(plantedReplications(1)) },
      [],
    );
    expect(rowsOf(section(one)).every((r) => r[2]!.endsWith('<strong>not replicated</strong>'))).toBe(true);
    expect(buildReportHtml(reportFixture(), [])).not.toContain('Localization, pooled');
  });

  it('writes the pooled table as the localization-pooled CSV', () => {
    const tables = new Map(reportCsvTables(report).map((t) => [t.suffix, t.content]));
    const lines = tables.get('localization-pooled')!.trim().split('\n');
    expect(lines[0]).toBe(
      'k_percent,measure,of,replications,pooling,fraction_of_full_gain,fraction_of_full_gain_low,fraction_of_full_gain_high,seeds,per_replication,status',
    );
    expect(lines).toHaveLength(1 + 10);
    expect(lines[7]).toMatch(
      /^20,paired,random,3,hierarchical-bootstrap,[\d.]+,[\d.]+,[\d.]+,1 2 3,[-\d. e]+,beats$/,
    );
  });
});
