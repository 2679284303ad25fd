import { describe, expect, it } from 'vitest';
import { parseFormula } from '../../../src-main/weights/formula';
import { expectError } from './helpers';

const bindings = { checkpoints: { A: 12, B: 31 }, scalars: { alpha: 0.5 } };
const coefficients = (formula: string): Record<number, number> =>
  Object.fromEntries(parseFormula(formula, bindings).terms.map((t) => [t.id, t.coefficient]));

describe('formula parser', () => {
  it('reduces expressions to one coefficient per checkpoint', () => {
    expect(coefficients('2*#12 - #31')).toEqual({ 12: 2, 31: -1 });
    expect(coefficients('A + 0.5*(B - A)')).toEqual({ 12: 0.5, 31: 0.5 });
    expect(coefficients('A - alpha*(B - A)')).toEqual({ 12: 1.5, 31: -0.5 });
    expect(coefficients('-(A - B)/2')).toEqual({ 12: -0.5, 31: 0.5 });
    expect(coefficients('A + (B - A)')).toEqual({ 12: 0, 31: 1 });
    expect(coefficients('#12 + A')).toEqual({ 12: 2 });
    expect(coefficients('1.5e1 * #7 / 3 + +.5*#8')).toEqual({ 7: 5, 8: 0.5 });
    expect(coefficients('(2 - 3) * (A)')).toEqual({ 12: -1 });
  });

  it('lists terms in order of first appearance, keeping cancelled operands', () => {
    expect(parseFormula('B - A + A', bindings).terms).toEqual([
      { id: 31, coefficient: 1 },
      { id: 12, coefficient: 0 },
    ]);
  });

  const cases: [string, string][] = [
    ['A*B', 'formula `A*B`, column 2: cannot multiply two checkpoints (the result would not be linear)'],
    ['A + C', 'formula `A + C`, column 5: unknown name `C` (known: A, B, alpha)'],
    ['A + 1', 'formula `A + 1`, column 3: cannot add a number and a checkpoint'],
    ['2 - A', 'formula `2 - A`, column 3: cannot subtract a number and a checkpoint'],
    ['1/A', 'formula `1/A`, column 2: cannot divide by a checkpoint'],
    ['A/(alpha - 0.5)', 'formula `A/(alpha - 0.5)`, column 2: division by zero'],
    ['(A + B', 'formula `(A + B`, column 7: expected `)` to close the `(` at column 1'],
    ['A + B)', 'formula `A + B)`, column 6: unmatched `)`'],
    ['2A', 'formula `2A`, column 2: expected an operator before `A`'],
    ['A +', 'formula `A +`, column 4: expected a number, a checkpoint or `(`, found `end of formula`'],
    ['', 'formula ``, column 1: the formula is empty'],
    ['3 * 2', 'formula `3 * 2`, column 1: the formula names no checkpoint'],
    ['A ^ 2', 'formula `A ^ 2`, column 3: unexpected character `^`'],
    ['# 4', 'formula `# 4`, column 1: `#` must be followed by a checkpoint id, e.g. #12'],
    ['constructor', 'formula `constructor`, column 1: unknown name `constructor` (known: A, B, alpha)'],
    ['1e999 * A', 'formula `1e999 * A`, column 1: number 1e999 is too large'],
  ];

  it.each(cases)('rejects %j with the column', (formula, message) => {
    const error = expectError(() => parseFormula(formula, bindings), 'INVALID_SPEC');
    expect(error.message).toBe(message);
  });

  it('never evaluates code', () => {
    const error = expectError(() => parseFormula('process.exit(1)', bindings), 'INVALID_SPEC');
    expect(error.message).toBe('formula `process.exit(1)`, column 8: unexpected character `.`');
  });
});
