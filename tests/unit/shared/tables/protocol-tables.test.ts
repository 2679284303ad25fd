import { describe, expect, it } from 'vitest';
import {
  negationCsv,
  reportCsvTables,
  similarityCsv,
} from '../../../../src-main/shared/tables/protocol-tables';
import { negationTable, seedWith } from './protocol-table-fixture';

describe('protocol tables', () => {
  it('writes the negation table with every interval as estimate/low/high, blank where a comparison is missing', () => {
    const lines = negationCsv([seedWith(1, negationTable)])
      .trim()
      .split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe(
      'seed,rb,variant,alpha,checkpoint,recovered_checkpoint,' +
        ['p_target_before', 'p_target_after', 'ra_return_after']
          .concat(['d_p_target_vs_control', 'd_p_target_vs_random', 'd_ra_return_vs_control'])
          .flatMap((name) => [name, `${name}_low`, `${name}_high`])
          .join(','),
    );
    const random = lines.find((line) => line.includes(',random,'))!.split(',');
    expect(random).toHaveLength(24);
    expect(random.slice(18, 21)).toEqual(['', '', '']);
  });

  it("gives the app's per-seed export and the report's file the same bytes", () => {
    const seed = seedWith(3, negationTable);
    const report = reportCsvTables({ seeds: [seed], similarity: null });
    expect(report.map((t) => t.suffix)).toEqual(['negation']);
    expect(report[0]!.content).toBe(negationCsv([seed]));
    // Two seeds: the report's file is every seed's rows under one header.
    const two = reportCsvTables({ seeds: [seed, seedWith(4, negationTable)], similarity: null });
    const lines = two[0]!.content.trim().split('\n');
    expect(lines).toHaveLength(1 + 12);
    expect(lines.filter((l) => l.startsWith('4,'))).toHaveLength(6);
  });

  it('quotes reward names with commas or line breaks and blanks a missing similarity', () => {
    const csv = similarityCsv({
      names: ['RA', 'coin, gem', 'two\r\nlines'],
      pearson: [
        [1, 0.5, null],
        [0.5, 1, 0],
        [null, 0, 1],
      ],
      epic: [
        [0, 0.2, Number.NaN],
        [0.2, 0, 0.3],
        [0.1, 0.3, 0],
      ],
    });
    const lines = csv.split('\n');
    expect(lines[0]).toBe('a,b,pearson,epic');
    expect(lines[2]).toBe('RA,"coin, gem",0.5,0.2');
    expect(lines[3]).toBe('RA,"two\r');
    expect(csv).toContain('RA,"two\r\nlines",,\n');
  });
});
