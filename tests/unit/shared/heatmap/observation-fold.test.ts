import { describe, expect, it } from 'vitest';
import type { ObservationLayout } from '@shared/observation-layout';
import {
  columnOf,
  columnRelevance,
  composeThroughFirstLayer,
  foldRows,
  observationCellLabel,
  orderUnits,
  planesLimit,
  rowOfCell,
  rowRelevance,
} from '../../../../src-main/shared/heatmap/observation-fold';

const layout: ObservationLayout = {
  view: 'global',
  channels: ['wall', 'agent', 'coin'],
  height: 2,
  width: 3,
  agentCell: null,
  inputs: [{ tensor: 'torso.dense1.kernel', kind: 'dense-rows' }],
};
// 18 rows (3 channels × 2×3 cells) × 2 units; row r holds [r, −2r].
const matrix = {
  rows: 18,
  cols: 2,
  values: Float32Array.from({ length: 36 }, (_, i) => (i % 2 === 0 ? i / 2 : -i + 1)),
};

describe('observation fold', () => {
  it('reduces |W| over the units per row (sum or max) and over the rows per unit', () => {
    expect(Array.from(rowRelevance(matrix, 'sum').slice(0, 3))).toEqual([0, 3, 6]);
    expect(Array.from(rowRelevance(matrix, 'max').slice(0, 3))).toEqual([0, 2, 4]);
    expect(Array.from(columnRelevance(matrix, 'sum'))).toEqual([153, 306]);
    expect(Array.from(columnRelevance(matrix, 'max'))).toEqual([17, 34]);
    expect(Array.from(columnOf(matrix, 1).slice(0, 3))).toEqual([0, -2, -4]);
    expect(() => columnOf(matrix, 2)).toThrow(/unit 2 is outside \[0, 2\)/);
  });

  it('folds row c·H·W + y·W + x into channel c at cell (x, y)', () => {
    const perRow = Float32Array.from({ length: 18 }, (_, r) => r);
    const planes = foldRows(perRow, layout);
    expect(planes.map((p) => p.channel)).toEqual(['wall', 'agent', 'coin']);
    const row = rowOfCell(layout, 2, 1, 1);
    expect(row).toBe(2 * 6 + 1 * 3 + 1);
    expect(planes[2]!.values[1 * 3 + 1]).toBe(row);
    expect(() => foldRows(new Float32Array(17), layout)).toThrow(
      /17 rows do not fold into 3 channels of 3×2/,
    );
    expect(planesLimit(planes)).toBe(17);
  });

  it('labels a cell by channel and position, and by its offset from the agent in an egocentric view', () => {
    expect(observationCellLabel(layout, 'coin', 3, 4)).toBe('input channel coin, cell (3, 4)');
    const ego = { ...layout, agentCell: { x: 6, y: 6 } };
    expect(observationCellLabel(ego, 'wall', 8, 5)).toBe(
      'input channel wall, cell (8, 5), 2 right, 1 up of the agent',
    );
    expect(observationCellLabel(ego, 'agent', 6, 6)).toBe(
      "input channel agent, cell (6, 6), the agent's cell",
    );
  });

  it('orders units by index or by relevance, largest first', () => {
    const relevance = Float32Array.from([1, 3, 3, 0]);
    expect(orderUnits(relevance, 'index')).toEqual([0, 1, 2, 3]);
    expect(orderUnits(relevance, 'relevance')).toEqual([1, 2, 0, 3]);
  });

  it("carries a next-layer unit's weights back through the first layer, linearly", () => {
    // W1 = [[1, 2], [0, −1], [3, 0]], w = [2, −1]: c = W1·w = [0, 1, 6].
    const first = { rows: 3, cols: 2, values: Float32Array.from([1, 2, 0, -1, 3, 0]) };
    expect(Array.from(composeThroughFirstLayer(first, Float32Array.from([2, -1])))).toEqual([0, 1, 6]);
    expect(() => composeThroughFirstLayer(first, new Float32Array(3))).toThrow(
      /the first layer has 2 units, the next layer's unit reads 3/,
    );
  });
});
