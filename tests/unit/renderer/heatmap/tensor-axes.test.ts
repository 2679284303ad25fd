import { describe, expect, it } from 'vitest';
import type { ObservationLayout } from '@shared/observation-layout';
import { cellLabel, tensorAxes } from '../../../../src-renderer/heatmap/tensor-axes';

const layout: ObservationLayout = {
  view: 'global',
  channels: ['wall', 'agent', 'cheese', 'coin', 'red_gem', 'blue_gem'],
  height: 13,
  width: 13,
  agentCell: null,
  inputs: [{ tensor: 'torso.dense1.kernel', kind: 'dense-rows' }],
};

describe('what the rows and columns of a tensor heatmap are', () => {
  it('names a first-layer row by its observation channel and cell', () => {
    const fold = { layout, kind: 'dense-rows' as const };
    const shape = [1014, 64];
    const axes = tensorAxes(shape, fold);
    expect(axes.rows).toEqual({
      title: 'input (channel, cell)',
      cellsPerIndex: 1,
      count: 1014,
      bands: { size: 169, labels: layout.channels },
    });
    expect(axes.cols.title).toBe('unit');
    // Row 3·169 + 4·13 + 3 reads channel coin at cell (3, 4).
    expect(cellLabel(shape, 3 * 169 + 4 * 13 + 3, 12, fold)).toBe(
      'input channel coin, cell (3, 4) → unit 12',
    );
    expect(cellLabel(shape, 5, 1, null)).toBe('input 5 → unit 1');
    expect(tensorAxes(shape, null).rows.bands).toBeNull();
  });

  it("reads a conv kernel's mosaic by filter: input channel bands, output channel ticks", () => {
    const fold = { layout: { ...layout, inputs: [] }, kind: 'conv-input-channels' as const };
    const shape = [3, 3, 6, 16];
    const axes = tensorAxes(shape, fold);
    expect(axes.rows).toMatchObject({ title: 'input channel', cellsPerIndex: 3, count: 6 });
    expect(axes.rows.bands?.labels).toEqual(layout.channels);
    expect(axes.cols).toMatchObject({ title: 'output channel', cellsPerIndex: 3, count: 16 });
    // Mosaic cell (i·kh + y, o·kw + x) = W[y, x, i, o].
    expect(cellLabel(shape, 3 * 3 + 2, 5 * 3 + 1, fold)).toBe(
      'input channel coin, filter cell (1, 2) → output channel 5',
    );
    expect(cellLabel(shape, 2, 1, null)).toBe('input channel 0, filter cell (1, 2) → output channel 0');
  });

  it('labels a bias by unit and other layouts plainly', () => {
    expect(cellLabel([64], 0, 7, null)).toBe('unit 7');
    expect(tensorAxes([64], null).cols).toEqual({ title: 'unit', cellsPerIndex: 1, count: 64, bands: null });
    expect(tensorAxes([2, 3, 4], null).rows.title).toBe('row (leading dims flattened)');
  });
});
