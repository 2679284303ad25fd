import { describe, expect, it } from 'vitest';
import {
  absPercentile,
  buildPyramid,
  combineArrays,
  heatmapTile,
  kthSmallestAbs,
  levelSize,
  mapSource,
  pyramidTile,
  readTensorDelta,
  tensorAsMatrix,
  tensorMapFromTensors,
} from '../../../src-main/weights';

/** A deterministic matrix on a coarse grid (many equal |v| of both signs), with NaN and ±∞ sprinkled in. */
function coarseMatrix(rows: number, cols: number, seed: number) {
  const data = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = ((s >>> 8) % 9) - 4;
    if (s % 97 === 0) data[i] = Number.NaN;
    if (s % 251 === 0) data[i] = s % 2 === 0 ? Infinity : -Infinity;
  }
  return tensorAsMatrix([rows, cols], data);
}

describe('the heatmap pyramid', () => {
  it.each([
    [37, 53, 1],
    [1, 300, 2],
    [300, 1, 3],
    [64, 64, 4],
    [129, 7, 5],
  ])('cuts %i×%i tiles equal to pooling the matrix, at every level and tile', (rows, cols, seed) => {
    const matrix = coarseMatrix(rows, cols, seed);
    const top = 9;
    const pyramid = buildPyramid(matrix, top);
    expect(pyramid).toHaveLength(top);
    for (let level = 0; level <= top; level++) {
      for (const tileSize of [8, 16]) {
        const size = levelSize(matrix, level);
        for (let tileRow = 0; tileRow < Math.ceil(size.rows / tileSize); tileRow++) {
          for (let tileCol = 0; tileCol < Math.ceil(size.cols / tileSize); tileCol++) {
            const request = { level, tileRow, tileCol, tileSize };
            const fromPyramid = pyramidTile(matrix, pyramid, request);
            const direct = heatmapTile(matrix, request);
            const { data: pd, ...pMeta } = fromPyramid;
            const { data: dd, ...dMeta } = direct;
            expect(pMeta).toEqual(dMeta);
            // Blocks here never are all NaN, so even the sign of every zero agrees.
            expect([...pd]).toEqual([...dd]);
          }
        }
      }
    }
  });

  it('keeps a single spike visible at the top level', () => {
    const data = new Float32Array(256 * 256);
    data[200 * 256 + 17] = -3;
    const pyramid = buildPyramid(tensorAsMatrix([256, 256], data), 8);
    expect([...pyramid[7]!.data]).toEqual([-3]);
  });
});

describe('absPercentile', () => {
  it('finds the same nearest-rank percentile as the histogram selection over |v|/max', () => {
    const { data } = coarseMatrix(101, 97, 7);
    for (let i = 0; i < data.length; i += 13) data[i] = data[i]! * 1e-3 + (i % 5) * 1e-7;
    const finite = [...data].filter(Number.isFinite);
    for (const p of [1, 50, 90, 99, 99.9, 100]) {
      const rank = Math.min(finite.length, Math.max(1, Math.ceil((p * finite.length) / 100)));
      const result = absPercentile(data, p);
      expect(result.count).toBe(finite.length);
      expect(result.value).toBe(kthSmallestAbs(data, rank));
      expect(result.maxAbs).toBe(Math.max(...finite.map(Math.abs)));
    }
  });

  it('is 0 for an array with no finite value and refuses a percentile outside (0, 100]', () => {
    expect(absPercentile(Float32Array.from([Number.NaN, Infinity]), 99)).toEqual({
      value: 0,
      maxAbs: 0,
      count: 0,
    });
    expect(() => absPercentile(new Float32Array(3), 0)).toThrow(/percentile must be in \(0, 100\]/);
  });
});

describe('readTensorDelta', () => {
  it('reads Δ = B − A chunk by chunk, equal to combineArrays, and names mismatched shapes', () => {
    const a = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 0.3);
    const b = Float32Array.from({ length: 1001 }, (_, i) => Math.cos(i) * 0.7);
    const sa = mapSource(tensorMapFromTensors([{ name: 'w', shape: [7, 143], data: a }]), 'A');
    const sb = mapSource(tensorMapFromTensors([{ name: 'w', shape: [7, 143], data: b }]), 'B');
    const delta = readTensorDelta(sa, sb, sa.tensors[0]!, sb.tensors[0]!, 64);
    expect([...delta]).toEqual([...combineArrays([1, -1], [b, a])]);
    // A chunk larger than deltaFill's cache-sized pieces (2^16 elements) is filled piece by piece.
    const n = 150_001;
    const bigA = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const bigB = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const big = (data: Float32Array, label: string) =>
      mapSource(tensorMapFromTensors([{ name: 'w', shape: [n], data }]), label);
    const [ba, bb] = [big(bigA, 'A'), big(bigB, 'B')];
    expect([...readTensorDelta(ba, bb, ba.tensors[0]!, bb.tensors[0]!, n)]).toEqual([
      ...combineArrays([1, -1], [bigB, bigA]),
    ]);
    const other = mapSource(tensorMapFromTensors([{ name: 'w', shape: [143, 7], data: b }]), 'C');
    expect(() => readTensorDelta(sa, other, sa.tensors[0]!, other.tensors[0]!)).toThrow(
      /tensor `w`: A has \[7,143\], C has \[143,7\]/,
    );
  });
});
