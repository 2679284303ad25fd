import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../../../src-renderer/heatmap/cell-index';
import {
  convCellLabel,
  convChannelPlanes,
  convShapeOf,
  convUnitRelevance,
} from '../../../../src-main/shared/heatmap/conv-fold';

// A [2, 2, 3, 2] kernel (kh = kw = 2, 3 input channels, 2 output channels) with W[y, x, i, o] = code.
const shape = [2, 2, 3, 2];
const code = (y: number, x: number, i: number, o: number): number =>
  (o === 0 ? 1 : -1) * (1000 * i + 10 * y + x + 1);
/** Its heatmap mosaic: cell (i·kh + y, o·kw + x) = W[y, x, i, o]. */
function mosaic(): { rows: number; cols: number; values: Float32Array } {
  const { rows, cols } = layoutOf(shape);
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < 3; i++)
    for (let o = 0; o < 2; o++)
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 2; x++) values[(i * 2 + y) * cols + o * 2 + x] = code(y, x, i, o);
  return { rows, cols, values };
}

describe('a first-layer conv kernel per input channel', () => {
  it("shows one output channel's signed filter per input channel", () => {
    const planes = convChannelPlanes(mosaic(), shape, ['wall', 'agent', 'coin'], { unit: 1 });
    expect(planes.map((p) => p.channel)).toEqual(['wall', 'agent', 'coin']);
    // Cell (x, y) at y·kw + x.
    expect(Array.from(planes[2]!.values)).toEqual([-2001, -2002, -2011, -2012]);
  });

  it('reduces |W| over the output channels per filter cell (sum or max)', () => {
    const sum = convChannelPlanes(mosaic(), shape, ['wall', 'agent', 'coin'], 'sum');
    expect(Array.from(sum[1]!.values)).toEqual([2002, 2004, 2022, 2024]);
    const max = convChannelPlanes(mosaic(), shape, ['wall', 'agent', 'coin'], 'max');
    expect(Array.from(max[0]!.values)).toEqual([1, 2, 11, 12]);
  });

  it('measures each output channel over its whole filter', () => {
    // Σ over i, y, x of |code| is the same for both output channels; max is the largest |code|.
    const sum = 3 * (1 + 2 + 11 + 12) + 4 * (0 + 1000 + 2000);
    expect(Array.from(convUnitRelevance(mosaic(), shape, 'sum'))).toEqual([sum, sum]);
    expect(Array.from(convUnitRelevance(mosaic(), shape, 'max'))).toEqual([2012, 2012]);
  });

  it('names a filter cell, and refuses shapes that do not fit', () => {
    expect(convCellLabel('coin', 2, 0)).toBe('input channel coin, filter cell (2, 0)');
    expect(() => convShapeOf([4, 4], mosaic())).toThrow(/a conv kernel is \[kh, kw, in, out\], got \[4, 4\]/);
    expect(() => convShapeOf([2, 2, 2, 2], mosaic())).toThrow(/is a 4×4 mosaic, got 6×4/);
    expect(() => convChannelPlanes(mosaic(), shape, ['wall'], 'sum')).toThrow(
      /1 channel names for 3 input channels/,
    );
    expect(() => convChannelPlanes(mosaic(), shape, ['a', 'b', 'c'], { unit: 2 })).toThrow(
      /output channel 2 is outside \[0, 2\)/,
    );
  });
});
