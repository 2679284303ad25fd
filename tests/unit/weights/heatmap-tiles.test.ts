import { describe, expect, it } from 'vitest';
import {
  heatmapOverview,
  heatmapTile,
  placedTile,
  poolMatrix,
  symmetricColorScale,
  tensorAsMatrix,
} from '../../../src-main/weights/heatmap-tiles';
import { expectError, noise } from './helpers';

const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

describe('tensors as 2-D matrices', () => {
  it('shows a dense kernel [in,out] as in×out without copying', () => {
    const data = iota(6);
    const m = tensorAsMatrix([2, 3], data);
    expect([m.rows, m.cols, m.layout]).toEqual([2, 3, 'matrix']);
    expect(m.data).toBe(data);
  });

  it('shows a bias [n] as a 1×n strip and a scalar as 1×1', () => {
    expect(tensorAsMatrix([5], iota(5))).toMatchObject({ rows: 1, cols: 5, layout: 'strip' });
    expect(tensorAsMatrix([], iota(1))).toMatchObject({ rows: 1, cols: 1, layout: 'scalar' });
  });

  it('tiles a conv kernel [kh,kw,in,out] as an (in·kh)×(out·kw) mosaic of filters', () => {
    // kh=1, kw=2, in=2, out=2: W[0,x,i,o] sits at flat index x·4 + i·2 + o.
    // Cell (i·kh + y, o·kw + x) = W[y,x,i,o]:
    //   row i=0: o=0 → x=0,1: 0, 4 | o=1 → 1, 5
    //   row i=1: o=0 → 2, 6       | o=1 → 3, 7
    const m = tensorAsMatrix([1, 2, 2, 2], iota(8));
    expect([m.rows, m.cols, m.layout]).toEqual([2, 4, 'conv-mosaic']);
    expect([...m.data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    // kh=2, kw=2, in=1, out=2: flat (y·2 + x)·2 + o.
    const square = tensorAsMatrix([2, 2, 1, 2], iota(8));
    expect([...square.data]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('refuses data of the wrong length', () => {
    expect(expectError(() => tensorAsMatrix([2, 3], iota(5)), 'SHAPE_MISMATCH').message).toBe(
      'tensor of shape [2,3] needs 6 values; data has 5',
    );
  });
});

describe('level-of-detail pooling', () => {
  it('keeps a single extreme spike visible after 16× downsampling, with its sign', () => {
    const data = noise(256 * 256, 9, 0.01);
    data[100 * 256 + 37] = -5;
    const pooled = poolMatrix(tensorAsMatrix([256, 256], data), 4);
    expect([pooled.rows, pooled.cols, pooled.factor]).toEqual([16, 16, 16]);
    expect(pooled.data[Math.floor(100 / 16) * 16 + Math.floor(37 / 16)]).toBe(-5);
    const others = [...pooled.data].filter((v) => v !== -5);
    expect(others.every((v) => Math.abs(v) <= 0.01)).toBe(true);
  });

  it('pools each block to its element of largest magnitude', () => {
    // 2×4 at level 1 → 1×2 blocks [[1,-3],[2,0]] and [[0.5,0.25],[-0.75,0]]
    const pooled = poolMatrix(
      tensorAsMatrix([2, 4], Float32Array.from([1, -3, 0.5, 0.25, 2, 0, -0.75, 0])),
      1,
    );
    expect([...pooled.data]).toEqual([-3, -0.75]);
  });

  it('handles ragged edges and strips', () => {
    const strip = poolMatrix(tensorAsMatrix([1000], iota(1000)), 4);
    expect([strip.rows, strip.cols]).toEqual([1, 63]);
    expect(strip.data[62]).toBe(999);
  });

  it('cuts a level into tiles that reassemble into the whole level', () => {
    const matrix = tensorAsMatrix([250, 130], noise(250 * 130, 4));
    const level = poolMatrix(matrix, 1); // 125×65
    const tile = heatmapTile(matrix, { level: 1, tileRow: 1, tileCol: 1, tileSize: 50 });
    expect([tile.rows, tile.cols, tile.rowStart, tile.colStart]).toEqual([50, 15, 100, 100]);
    for (let r = 0; r < tile.rows; r++) {
      for (let c = 0; c < tile.cols; c++) {
        expect(tile.data[r * tile.cols + c]).toBe(level.data[(50 + r) * level.cols + 50 + c]);
      }
    }
    const raw = heatmapTile(matrix, { level: 0, tileRow: 2, tileCol: 0, tileSize: 100 });
    expect([raw.rows, raw.cols]).toEqual([50, 100]);
    expect(raw.data[0]).toBe(matrix.data[200 * 130]);
    expect(
      expectError(
        () => heatmapTile(matrix, { level: 1, tileRow: 3, tileCol: 0, tileSize: 50 }),
        'INVALID_SPEC',
      ).message,
    ).toMatch(/outside the 3×2 tiles of level 1/);
  });

  it('places a tile where its window lies: first cell × factor, with the whole matrix’s size', () => {
    const data = new Float32Array(15 * 50);
    const window = { row0: 50, col0: 50, rows: 50, cols: 15, factor: 2 };
    expect(placedTile(window, 1, { rows: 250, cols: 130 }, data)).toEqual({
      data,
      rows: 50,
      cols: 15,
      level: 1,
      factor: 2,
      rowStart: 100,
      colStart: 100,
      matrixRows: 250,
      matrixCols: 130,
    });
  });

  it('picks the first level at which the whole matrix fits', () => {
    const overview = heatmapOverview(tensorAsMatrix([2000, 300], new Float32Array(600000)), 512);
    expect([overview.level, overview.rows, overview.cols]).toEqual([2, 500, 75]);
  });
});

describe('robust colour scale', () => {
  it('takes the nearest-rank percentile of |v|', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1000 - i));
    // |v| = 1 … 1000; the 990th smallest (⌈0.99·1000⌉) is 990.
    expect(symmetricColorScale(data)).toEqual({ limit: 990, percentile: 99, maxAbs: 1000 });
    expect(symmetricColorScale(data, 50).limit).toBe(500);
    expect(symmetricColorScale(data, 100).limit).toBe(1000);
  });

  it('is not dragged up by one outlier', () => {
    const data = noise(100000, 2, 1);
    data[5] = 1e6;
    const scale = symmetricColorScale(data, 99);
    expect(scale.maxAbs).toBe(1e6);
    expect(scale.limit).toBeGreaterThan(0.98);
    expect(scale.limit).toBeLessThan(1);
  });

  it('agrees with a sort on random data with repeats', () => {
    const data = Float32Array.from(noise(50000, 5, 3), (v, i) => (i % 3 === 0 ? Math.round(v) : v));
    const sorted = [...data].map(Math.abs).sort((a, b) => a - b);
    // Below ~5% the percentile is one of the rounded zeros, and the scale falls back to max|v|.
    for (const p of [10, 37.5, 90, 99.9]) {
      expect(symmetricColorScale(data, p).limit).toBe(sorted[Math.ceil((p * data.length) / 100) - 1]);
    }
  });

  it('falls back to max|v| for a mostly-zero tensor', () => {
    const data = new Float32Array(1000);
    data[3] = -0.2;
    expect(symmetricColorScale(data).limit).toBeCloseTo(0.2, 7);
    expect(symmetricColorScale(new Float32Array(10)).limit).toBe(0);
  });
});
