import { describe, expect, it } from 'vitest';
import {
  absPercentile,
  baseLevelOf,
  buildHeatmapView,
  buildPyramid,
  combineArrays,
  deltaReader,
  heatmapTile,
  levelToFit,
  mapSource,
  poolMatrix,
  tensorAsMatrix,
  tensorMapFromTensors,
  viewPercentile,
  viewTile,
  type HeatmapReader,
} from '../../../src-main/weights';

/**
 * A tensor's heatmap view (weights/heatmap-view.ts): kept whole with its pyramid when small, and
 * for a large one kept from a base level up, its tiles below the base read from the tensor. What a
 * user sees must not depend on which: the overview's pooled values equal pooling the whole matrix
 * (the reference), a tile at full zoom holds the tensor's exact values, and the colour scale is the
 * exact percentile.
 */

/** Values on a coarse grid (many equal |v| of both signs), with NaN, ±∞ and ±0 sprinkled in. */
function coarse(size: number, seed: number): Float32Array {
  const data = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (((s >>> 8) % 9) - 4) / 8;
    if (s % 97 === 0) data[i] = Number.NaN;
    if (s % 251 === 0) data[i] = s % 2 === 0 ? Infinity : -Infinity;
    if (s % 89 === 0) data[i] = -0;
  }
  return data;
}

/** A reader over values in memory that counts the elements it reads. */
function memoryReader(shape: number[], values: Float32Array): HeatmapReader & { reads: number } {
  const reader = {
    shape,
    reads: 0,
    raw: null,
    fill(start: number, out: Float32Array) {
      reader.reads += out.length;
      out.set(values.subarray(start, start + out.length));
    },
  };
  return reader;
}

const SHAPES: [number[], number][] = [
  [[37, 53], 1],
  [[301], 2],
  [[3, 2, 5, 4], 3],
  [[7, 5, 6], 4],
  [[1, 1], 5],
  [[130, 97], 6],
];

describe('a heatmap view kept whole', () => {
  it.each(SHAPES)(
    'holds the matrix and its pyramid for shape %j, built in one chunked pass',
    (shape, seed) => {
      const size = shape.reduce((x, y) => x * y, 1);
      const values = coarse(size, seed);
      const reference = tensorAsMatrix(shape, values);
      for (const chunk of [1, 10, 1 << 20]) {
        const reader = memoryReader(shape, values);
        const view = buildHeatmapView(reader, { chunkElements: chunk });
        expect(reader.reads).toBe(size);
        expect(view.baseLevel).toBe(0);
        expect([...view.levels[0]!.data]).toEqual([...reference.data]);
        expect(view.levels.slice(1).map((l) => [...l.data])).toEqual(
          buildPyramid(reference, levelToFit(reference, 1)).map((l) => [...l.data]),
        );
        for (const p of [50, 99]) expect(viewPercentile(view, p, null)).toEqual(absPercentile(values, p));
      }
    },
  );
});

describe('a large heatmap view kept from a base level up', () => {
  it.each(SHAPES.filter(([shape]) => shape.length !== 4))(
    'gives the pooled overview, tiles at every level and the scale of the whole matrix for shape %j',
    (shape, seed) => {
      const size = shape.reduce((x, y) => x * y, 1);
      const values = coarse(size, seed);
      const reference = tensorAsMatrix(shape, values);
      for (const [fullCells, chunk] of [
        [64, 7],
        [300, 1 << 20],
      ] as const) {
        const reader = memoryReader(shape, values);
        const view = buildHeatmapView(reader, { fullCells, chunkElements: chunk });
        expect(view.baseLevel).toBe(baseLevelOf(shape, fullCells));
        // One pass over the tensor builds it.
        expect(reader.reads).toBe(size);
        expect(view.levels[0]!.rows * view.levels[0]!.cols).toBeLessThanOrEqual(Math.max(fullCells, 1));
        // The overview (the level the heatmap opens at) is the reference pooling of the whole matrix.
        const fit = levelToFit(reference, 8);
        const overview = viewTile(view, { level: fit, tileRow: 0, tileCol: 0, tileSize: 8 }, null);
        expect([...overview.data]).toEqual([...poolMatrix(reference, fit).data]);
        // Every tile of every level, above the base cut from the view, below it read.
        for (let level = 0; level <= levelToFit(reference, 1); level++) {
          const tiles = Math.ceil(Math.ceil(reference.cols / 2 ** level) / 8);
          for (let tileCol = 0; tileCol < tiles; tileCol++) {
            const request = { level, tileRow: 0, tileCol, tileSize: 8 };
            const tile = viewTile(view, request, reader);
            const expected = heatmapTile(reference, request);
            expect({ ...tile, data: [...tile.data] }).toEqual({ ...expected, data: [...expected.data] });
          }
        }
        for (const p of [50, 99, 100])
          expect(viewPercentile(view, p, reader)).toEqual(absPercentile(values, p));
      }
    },
  );

  it('reads only a tile’s region for a tile at full zoom, whose values are the exact Δ', () => {
    const [rows, cols] = [300, 260];
    const a = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) / 3);
    const b = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) / 3 + Math.cos(i * 7) / 1000);
    const side = (data: Float32Array, label: string) =>
      mapSource(tensorMapFromTensors([{ name: 'w', shape: [rows, cols], data }]), label);
    const [sa, sb] = [side(a, 'A'), side(b, 'B')];
    const reader = deltaReader(sa, sb, sa.tensors[0]!, sb.tensors[0]!);
    const view = buildHeatmapView(reader, { fullCells: 1000 });
    expect(view.baseLevel).toBeGreaterThan(0);
    const delta = combineArrays([1, -1], [b, a]);
    let read = 0;
    const counted: HeatmapReader = {
      ...reader,
      fill: (start, out) => {
        read += out.length;
        reader.fill(start, out);
      },
    };
    const tile = viewTile(view, { level: 0, tileRow: 1, tileCol: 4, tileSize: 64 }, counted);
    expect([tile.rows, tile.cols, tile.rowStart, tile.colStart]).toEqual([64, 4, 64, 256]);
    expect(read).toBe(64 * 4);
    const expected: number[] = [];
    for (let r = 64; r < 128; r++) for (let c = 256; c < 260; c++) expected.push(delta[r * cols + c]!);
    expect([...tile.data]).toEqual(expected);
  });

  it('finds the percentile it is built for in its one pass, or in a second when the first rows mislead', () => {
    const [rows, cols] = [200, 150];
    const steady = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.3) * (1 + (i % 7)));
    // The first rows are a thousand times smaller: a window predicted from them misses.
    const uneven = steady.map((v, i) => (i < 40 * cols ? v / 1000 : v));
    for (const [values, inPass] of [
      [steady, true],
      [uneven, false],
    ] as const) {
      const reader = memoryReader([rows, cols], values);
      const view = buildHeatmapView(reader, { fullCells: 1000, chunkElements: 20 * cols, percentile: 99 });
      expect(reader.reads).toBe(rows * cols);
      expect(view.percentiles.has(99)).toBe(inPass);
      expect(viewPercentile(view, 99, reader)).toEqual(absPercentile(values, 99));
      expect(reader.reads).toBe((inPass ? 1 : 2) * rows * cols);
      expect(viewPercentile(view, 50, reader)).toEqual(absPercentile(values, 50));
    }
  });

  it('keeps a conv kernel (a mosaic, not in storage order) whole', () => {
    expect(baseLevelOf([3, 3, 64, 64], 16)).toBe(0);
    expect(baseLevelOf([4096, 11008])).toBe(3);
    expect(baseLevelOf([4096, 11008], undefined, 6)).toBe(6);
  });
});
