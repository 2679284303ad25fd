import { describe, expect, it } from 'vitest';
import {
  diffColumn,
  diffTableCsv,
  formatDiffCell,
  formatPercent,
  sortTensors,
} from '../../../../src-renderer/models/diff-model';
import { sampleDiff, tensorDiff } from '../diff-fixtures';

const names = (list: { name: string }[]) => list.map((t) => t.name);

describe('diff table model', () => {
  it('sorts by ‖Δ‖₂, largest first, and back', () => {
    const { tensors } = sampleDiff();
    expect(names(sortTensors(tensors, 'l2', 'desc'))).toEqual(['torso.kernel', 'torso.bias', 'head.kernel']);
    expect(names(sortTensors(tensors, 'l2', 'asc'))).toEqual(['head.kernel', 'torso.bias', 'torso.kernel']);
    expect(names(tensors)).toEqual(['torso.bias', 'torso.kernel', 'head.kernel']); // input untouched
  });

  it('puts undefined ratios last in either direction', () => {
    const { tensors } = sampleDiff();
    expect(names(sortTensors(tensors, 'relativeL2', 'desc')).at(-1)).toBe('head.kernel');
    expect(names(sortTensors(tensors, 'relativeL2', 'asc')).at(-1)).toBe('head.kernel');
  });

  it('sorts names and parameter counts, ties by name', () => {
    const tensors = [tensorDiff('b', [2, 2]), tensorDiff('a', [4]), tensorDiff('c', [3])];
    expect(names(sortTensors(tensors, 'name', 'asc'))).toEqual(['a', 'b', 'c']);
    expect(names(sortTensors(tensors, 'params', 'desc'))).toEqual(['a', 'b', 'c']);
  });

  it('formats cells for reading', () => {
    const [bias, kernel, head] = sampleDiff().tensors;
    expect(formatDiffCell(diffColumn('shape'), kernel!)).toBe('4 × 4');
    expect(formatDiffCell(diffColumn('params'), kernel!)).toBe('16');
    expect(formatDiffCell(diffColumn('fractionAboveEpsilon'), kernel!)).toBe('50.0%');
    expect(formatDiffCell(diffColumn('signFlips'), bias!)).toBe('1 (25.0%)');
    expect(formatDiffCell(diffColumn('relativeL2'), head!)).toBe('—');
    expect(formatPercent(0.00012)).toBe('0.012%');
    expect(formatPercent(0)).toBe('0%');
  });

  it('exports every figure at full precision as CSV', () => {
    const csv = diffTableCsv(sampleDiff().tensors, 1e-6);
    const [header, first, , last] = csv.trimEnd().split('\n');
    expect(header).toContain('tensor,shape,params,l2,relative_l2,max_abs');
    expect(header).toContain('fraction_above_0.000001');
    expect(first).toMatch(/^torso\.bias,\[4\],4,0\.5,0\.1,0\.4,/);
    // An undefined ratio is an empty field, not "null".
    expect(last).toMatch(/^head\.kernel,"\[4, 2\]",8,0,,0,/);
  });
});
