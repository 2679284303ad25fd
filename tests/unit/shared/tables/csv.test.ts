import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../../../src-main/shared/tables/csv';

describe('CSV', () => {
  it('quotes fields with commas, quotes or line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('carriage\rreturn')).toBe('"carriage\rreturn"');
    expect(csvField('crlf\r\n')).toBe('"crlf\r\n"');
  });

  it('writes numbers at full precision and missing values as blanks', () => {
    expect(toCsv(['x', 'y', 'z'], [[0.1 + 0.2, null, Number.NaN]])).toBe('x,y,z\n0.30000000000000004,,\n');
    expect(toCsv(['a', 'b', 'c'], [[Infinity, -Infinity, undefined]])).toBe('a,b,c\n,,\n');
  });

  it('refuses rows that do not match the header', () => {
    expect(() => toCsv(['a', 'b'], [['1']])).toThrow(/row 0 has 1 fields but the header has 2/);
  });
});
