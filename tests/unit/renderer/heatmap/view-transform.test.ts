import { describe, expect, it } from 'vitest';
import {
  cellAt,
  clampView,
  detailAt,
  detailForView,
  fitView,
  levelForScale,
  MAX_POOL_SKEW,
  panBy,
  thumbnailSize,
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
  it('fills the viewport on each axis with its own scale, so a tall tensor is not a thin strip', () => {
    // 200 rows × 100 cols in 800 × 400: 8 px per column across, 2 px per row down.
    const view = fitView(matrix, viewport);
    expect(view).toEqual({ sx: 8, sy: 2, x: 0, y: 0 });
    // The demo's first layer, 1014 × 64, in a 1100 × 440 panel fills it both ways.
    const tall = fitView({ rows: 1014, cols: 64 }, { width: 1100, height: 440 });
    expect(64 * tall.sx).toBeCloseTo(1100, 9);
    expect(1014 * tall.sy).toBeCloseTo(440, 9);
    // A tiny tensor is not blown up beyond the largest cell size, on either axis.
    expect(fitView({ rows: 2, cols: 2 }, viewport, 64)).toEqual({ sx: 64, sy: 64, x: 336, y: 136 });
    expect(fitView({ rows: 2, cols: 400 }, viewport, 64)).toMatchObject({ sx: 2, sy: 64 });
    expect(() => fitView({ rows: 0, cols: 3 }, viewport)).toThrow(/positive integer rows and cols, got 0×3/);
  });

  it('finds the cell under the cursor with separate scales, and null outside the matrix', () => {
    const view = fitView(matrix, viewport);
    expect(cellAt(view, 0, 0, matrix)).toEqual({ row: 0, col: 0 });
    expect(cellAt(view, 7.9, 1.9, matrix)).toEqual({ row: 0, col: 0 });
    expect(cellAt(view, 8, 2, matrix)).toEqual({ row: 1, col: 1 });
    expect(cellAt(view, 799.9, 399.9, matrix)).toEqual({ row: 199, col: 99 });
    expect(cellAt(view, -1, 10, matrix)).toBeNull();
    expect(cellAt(view, 800, 10, matrix)).toBeNull();
  });

  it('zooms about the cursor on both axes: the cell under it stays under it', () => {
    const view = fitView(matrix, viewport);
    const limits = zoomLimits(matrix, viewport);
    const before = cellAt(view, 377, 123, matrix);
    const zoomed = zoomAt(view, 3, 377, 123, limits);
    expect(zoomed.sx).toBe(24);
    expect(zoomed.sy).toBe(6);
    expect(cellAt(zoomed, 377, 123, matrix)).toEqual(before);
    // The matrix point under the cursor is exactly preserved: (px − x)/s is unchanged on each axis.
    expect((377 - zoomed.x) / zoomed.sx).toBeCloseTo((377 - view.x) / view.sx, 12);
    expect((123 - zoomed.y) / zoomed.sy).toBeCloseTo((123 - view.y) / view.sy, 12);
  });

  it('clamps each axis to its own limits: a tall tensor keeps zooming its rows after its columns stop', () => {
    const tall = { rows: 1014, cols: 64 };
    const panel = { width: 1024, height: 440 };
    const view = fitView(tall, panel);
    const limits = zoomLimits(tall, panel);
    expect(limits.maxSx).toBe(64);
    expect(limits.maxSy).toBe(64);
    const zoomed = zoomAt(view, 10, 512, 220, limits);
    expect(zoomed.sx).toBe(64); // 16 × 10 clamped to the largest cell
    expect(zoomed.sy).toBeCloseTo((440 / 1014) * 10, 12); // rows still growing
    const cell = cellAt(view, 512, 220, tall);
    expect(cellAt(zoomed, 512, 220, tall)).toEqual(cell);
    expect(zoomAt(view, 1e-6, 0, 0, limits)).toMatchObject({ sx: limits.minSx, sy: limits.minSy });
    expect(() => zoomAt(view, 0, 0, 0, limits)).toThrow(/factor must be > 0/);
  });

  it('pans by screen pixels, and keeps part of the matrix in view', () => {
    const view = fitView(matrix, viewport);
    expect(panBy(view, 10, -5)).toEqual({ sx: 8, sy: 2, x: 10, y: -5 });
    const far = clampView(panBy(view, 5000, 5000), matrix, viewport, 48);
    expect(far.x).toBe(800 - 48);
    expect(far.y).toBe(400 - 48);
    const farBack = clampView(panBy(view, -5000, -5000), matrix, viewport, 48);
    expect(farBack.x + matrix.cols * view.sx).toBe(48);
    expect(farBack.y + matrix.rows * view.sy).toBe(48);
  });

  it('lists the visible cells of a zoomed-in view', () => {
    const view = { sx: 10, sy: 5, x: -105, y: -20 };
    expect(visibleCells(view, viewport, matrix)).toEqual({ row0: 4, row1: 84, col0: 10, col1: 91 });
    expect(visibleCells({ sx: 1, sy: 1, x: 900, y: 0 }, viewport, matrix)).toBeNull();
  });

  it('pools each axis to its own level of detail: tiles at the finer level, the coarser axis pooled further', () => {
    // 1014 × 64 filling 1024 × 440 at dpr 1: columns 16 px (level 0), rows 0.43 px (level 2).
    const tall = fitView({ rows: 1014, cols: 64 }, { width: 1024, height: 440 });
    expect(detailForView(tall, 1, 2)).toEqual({ level: 0, rowPool: 4, colPool: 1 });
    // At dpr 2 rows are 0.87 device px: 2 rows per pixel.
    expect(detailForView(tall, 2, 2)).toEqual({ level: 0, rowPool: 2, colPool: 1 });
    // Square cells: one level, no further pooling.
    expect(detailForView({ sx: 0.25, sy: 0.25, x: 0, y: 0 }, 1, 8)).toEqual({
      level: 2,
      rowPool: 1,
      colPool: 1,
    });
    // A very thin view is at most MAX_POOL_SKEW levels apart: the fine axis is pooled too.
    const skew = detailForView({ sx: 1, sy: 2 ** -10, x: 0, y: 0 }, 1, 12);
    expect(skew).toEqual({ level: 10 - MAX_POOL_SKEW, rowPool: 2 ** MAX_POOL_SKEW, colPool: 1 });
    // Coarser stand-in tiles need less pooling.
    expect(detailAt(tall, 1, 2, 1)).toEqual({ level: 1, rowPool: 2, colPool: 1 });
    expect(detailAt(tall, 1, 2, 2)).toEqual({ level: 2, rowPool: 1, colPool: 1 });
  });

  it('sizes whole-tensor thumbnails to fill their frame; a bias stays a strip', () => {
    expect(thumbnailSize({ rows: 1014, cols: 64 }, 96)).toEqual({ width: 96, height: 96 });
    expect(thumbnailSize({ rows: 1, cols: 64 }, 96)).toEqual({ width: 96, height: 12 });
    expect(thumbnailSize({ rows: 64, cols: 1 }, 96)).toEqual({ width: 12, height: 96 });
    expect(thumbnailSize({ rows: 1, cols: 1 }, 40)).toEqual({ width: 10, height: 10 });
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
      { rowStart: 512, colStart: 256, rows: 256, cols: 128, rowFactor: 2, colFactor: 2 },
      { sx: 0.5, sy: 0.5, x: 10, y: 20 },
    );
    expect(rect).toEqual({ x: 138, y: 276, width: 128, height: 256 });
    // Separate scales and pooling: 64 pooled rows of 8 cells at 0.25 px, 128 columns of 2 cells at 4 px.
    expect(
      tileScreenRect(
        { rowStart: 512, colStart: 0, rows: 64, cols: 128, rowFactor: 8, colFactor: 2 },
        { sx: 4, sy: 0.25, x: 0, y: 0 },
      ),
    ).toEqual({ x: 0, y: 128, width: 1024, height: 128 });
  });
});

describe('fitting with padding', () => {
  it('keeps the padding free around the fitted matrix', () => {
    const view = fitView({ rows: 100, cols: 100 }, { width: 300, height: 216 }, 64, 8);
    expect(view).toEqual({ sx: 2.84, sy: 2, x: 8, y: 8 });
  });
});
