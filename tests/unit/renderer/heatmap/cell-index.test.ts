import { describe, expect, it } from 'vitest';
import { formatIndex, layoutOf, tensorIndexOfCell } from '../../../../src-renderer/heatmap/cell-index';

describe('heatmap cell → tensor index', () => {
  it('matches the main side’s layouts', () => {
    expect(layoutOf([])).toEqual({ rows: 1, cols: 1, layout: 'scalar' });
    expect(layoutOf([64])).toEqual({ rows: 1, cols: 64, layout: 'strip' });
    expect(layoutOf([484, 256])).toEqual({ rows: 484, cols: 256, layout: 'matrix' });
    expect(layoutOf([3, 3, 16, 32])).toEqual({ rows: 48, cols: 96, layout: 'conv-mosaic' });
    expect(layoutOf([2, 3, 5])).toEqual({ rows: 6, cols: 5, layout: 'flattened' });
  });

  it('maps dense, bias and scalar cells directly', () => {
    expect(tensorIndexOfCell([484, 256], 12, 40)).toEqual([12, 40]);
    expect(tensorIndexOfCell([64], 0, 17)).toEqual([17]);
    expect(tensorIndexOfCell([], 0, 0)).toEqual([]);
  });

  it('inverts the conv mosaic: cell (i·kh + y, o·kw + x) is W[y, x, i, o]', () => {
    const shape = [3, 2, 4, 5];
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 2; x++)
        for (let i = 0; i < 4; i++)
          for (let o = 0; o < 5; o++)
            expect(tensorIndexOfCell(shape, i * 3 + y, o * 2 + x)).toEqual([y, x, i, o]);
  });

  it('unravels the leading dimensions of other ranks row-major', () => {
    expect(tensorIndexOfCell([2, 3, 5], 4, 2)).toEqual([1, 1, 2]);
  });

  it('rejects a cell outside the matrix, naming the shape', () => {
    expect(() => tensorIndexOfCell([4, 4], 4, 0)).toThrow(
      /cell \(4, 0\) is outside the 4×4 matrix of shape \[4, 4\]/,
    );
  });

  it('formats an index for display', () => {
    expect(formatIndex([3, 17])).toBe('[3, 17]');
    expect(formatIndex([])).toBe('[]');
  });
});
