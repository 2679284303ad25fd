import { describe, expect, it } from 'vitest';
import {
  cellAt,
  clampView,
  fitView,
  levelForScale,
  panBy,
  tileScreenRect,
  tilesCovering,
  topLevel,
  visibleCells,
  zoomAt,
  zoomLimits,
} from '../../../../src-renderer/heatmap/view-transform';

const viewport = { width: 800, height: 400 };
const matrix = { rows: 200, cols: 100 };

describe('heatmap view transforms', () => {
  it('fits the whole matrix, centred, at the largest scale that fits', () => {
    const view = fitView(matrix, viewport);
    expect(view.scale).toBe(2);
    expect(view).toEqual({ scale: 2, x: 300, y: 0 });
    // A tiny tensor is not blown up beyond the largest cell size.
    expect(fitView({ rows: 2, cols: 2 }, viewport, 64).scale).toBe(64);
    expect(() => fitView({ rows: 0, cols: 3 }, viewport)).toThrow(/positive integer rows and cols, got 0×3/);
  });

  it('finds the cell under the cursor, and null outside the matrix', () => {
    const view = fitView(matrix, viewport);
    expect(cellAt(view, 300, 0, matrix)).toEqual({ row: 0, col: 0 });
    expect(cellAt(view, 301.9, 1.9, matrix)).toEqual({ row: 0, col: 0 });
    expect(cellAt(view, 302, 2, matrix)).toEqual({ row: 1, col: 1 });
    expect(cellAt(view, 499.9, 399.9, matrix)).toEqual({ row: 199, col: 99 });
    expect(cellAt(view, 299, 10, matrix)).toBeNull();
    expect(cellAt(view, 500, 10, matrix)).toBeNull();
  });

  it('zooms about the cursor: the cell under it stays under it', () => {
    const view = fitView(matrix, viewport);
    const limits = zoomLimits(matrix, viewport);
    const before = cellAt(view, 377, 123, matrix);
    const zoomed = zoomAt(view, 3, 377, 123, limits);
    expect(zoomed.scale).toBe(6);
    expect(cellAt(zoomed, 377, 123, matrix)).toEqual(before);
    // The matrix point under the cursor is exactly preserved: (px − x)/s is unchanged.
    expect((377 - zoomed.x) / zoomed.scale).toBeCloseTo((377 - view.x) / view.scale, 12);
    expect((123 - zoomed.y) / zoomed.scale).toBeCloseTo((123 - view.y) / view.scale, 12);
  });

  it('clamps zoom to its limits', () => {
    const view = fitView(matrix, viewport);
    const limits = zoomLimits(matrix, viewport);
    expect(zoomAt(view, 1000, 0, 0, limits).scale).toBe(limits.maxScale);
    expect(zoomAt(view, 1e-6, 0, 0, limits).scale).toBe(limits.minScale);
    expect(() => zoomAt(view, 0, 0, 0, limits)).toThrow(/factor must be > 0/);
  });

  it('pans by screen pixels, and keeps part of the matrix in view', () => {
    const view = fitView(matrix, viewport);
    expect(panBy(view, 10, -5)).toEqual({ scale: 2, x: 310, y: -5 });
    const far = clampView(panBy(view, 5000, 5000), matrix, viewport, 48);
    expect(far.x).toBe(800 - 48);
    expect(far.y).toBe(400 - 48);
    const farBack = clampView(panBy(view, -5000, -5000), matrix, viewport, 48);
    expect(farBack.x + matrix.cols * view.scale).toBe(48);
  });

  it('lists the visible cells of a zoomed-in view', () => {
    const view = { scale: 10, x: -105, y: -20 };
    expect(visibleCells(view, viewport, matrix)).toEqual({ row0: 2, row1: 42, col0: 10, col1: 91 });
    expect(visibleCells({ scale: 1, x: 900, y: 0 }, viewport, matrix)).toBeNull();
  });

  it('picks the level of detail so a pooled cell covers at least one device pixel', () => {
    expect(levelForScale(1, 1, 10)).toBe(0);
    expect(levelForScale(3, 1, 10)).toBe(0);
    expect(levelForScale(0.5, 1, 10)).toBe(1);
    expect(levelForScale(0.25, 1, 10)).toBe(2);
    expect(levelForScale(0.3, 1, 10)).toBe(2);
    expect(levelForScale(0.25, 2, 10)).toBe(1);
    expect(levelForScale(1 / 4096, 1, 4)).toBe(4);
  });

  it('knows the top level (whole matrix in one tile) and the tiles that cover a range', () => {
    expect(topLevel({ rows: 4096, cols: 4096 }, 256)).toBe(4);
    expect(topLevel({ rows: 256, cols: 100 }, 256)).toBe(0);
    expect(topLevel({ rows: 257, cols: 1 }, 256)).toBe(1);
    expect(tilesCovering({ row0: 0, row1: 300, col0: 250, col1: 260 }, 0, 256)).toEqual([
      { level: 0, tileRow: 0, tileCol: 0 },
      { level: 0, tileRow: 0, tileCol: 1 },
      { level: 0, tileRow: 1, tileCol: 0 },
      { level: 0, tileRow: 1, tileCol: 1 },
    ]);
    // At level 1 a tile spans 512 matrix cells.
    expect(tilesCovering({ row0: 0, row1: 1024, col0: 0, col1: 10 }, 1, 256)).toHaveLength(2);
  });

  it('places a tile on screen by its matrix extent', () => {
    const rect = tileScreenRect(
      { rowStart: 512, colStart: 256, rows: 256, cols: 128, factor: 2 },
      { scale: 0.5, x: 10, y: 20 },
    );
    expect(rect).toEqual({ x: 138, y: 276, width: 128, height: 256 });
  });
});

describe('fitting with padding', () => {
  it('keeps the padding free around the fitted matrix', () => {
    const view = fitView({ rows: 100, cols: 100 }, { width: 300, height: 216 }, 64, 8);
    expect(view.scale).toBe(2);
    expect(view.y).toBe(8);
    expect(view.x).toBe(50);
  });
});
