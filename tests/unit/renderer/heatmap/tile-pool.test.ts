import { describe, expect, it } from 'vitest';
import { pooledValueAt, poolTile } from '../../../../src-renderer/heatmap/tile-pool';

const tile = {
  // 5 rows × 2 cols: a spike of −9 in row 3, a NaN in row 4.
  values: Float32Array.from([1, 2, -3, 0.5, 0, 0, -9, 4, Number.NaN, 0.25]),
  rows: 5,
  cols: 2,
  level: 1,
  factor: 2,
  rowStart: 10,
  colStart: 20,
};

describe('pooling a tile further along one axis', () => {
  it("keeps each block's largest |value| with its sign, so a spike survives", () => {
    const pooled = poolTile(tile, 2, 1);
    expect(pooled).toMatchObject({
      rows: 3,
      cols: 2,
      rowFactor: 4,
      colFactor: 2,
      rowStart: 10,
      colStart: 20,
    });
    expect(Array.from(pooled.values)).toEqual([-3, 2, -9, 4, 0, 0.25]);
    expect(Array.from(poolTile(tile, 1, 2).values)).toEqual([2, -3, 0, -9, 0.25]);
    expect(poolTile(tile, 1, 1).values).toBe(tile.values);
  });

  it('reads the drawn value of a matrix cell back', () => {
    const pooled = poolTile(tile, 2, 1);
    // Matrix rows 10..13 are pooled row 0 (rowFactor 4); row 14..17 pooled row 1.
    expect(pooledValueAt(pooled, 13, 20)).toBe(-3);
    expect(pooledValueAt(pooled, 14, 23)).toBe(4);
    expect(pooledValueAt(pooled, 9, 20)).toBeUndefined();
  });

  it('refuses a pool that is not a positive whole number, and a tile whose values do not fit', () => {
    expect(() => poolTile(tile, 0, 1)).toThrow(/rowPool must be a positive integer, got 0/);
    expect(() => poolTile({ ...tile, rows: 6 }, 1, 2)).toThrow(/a 6×2 tile needs 12 values, got 10/);
  });
});
