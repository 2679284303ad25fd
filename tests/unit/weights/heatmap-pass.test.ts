import { afterAll, describe, expect, it } from 'vitest';
import {
  absInRange,
  deltaReader,
  nativeHeatmapAvailable,
  poolingPass,
  readRegion,
  setNativeHeatmap,
  tensorReader,
  type HeatmapReader,
} from '../../../src-main/weights';
import { decodeChunk, DTYPE_BYTES } from '../../../src-main/weights/formats/dtype-codec';
import type { TensorSource } from '../../../src-main/weights/tensor-source';

/**
 * The heatmap passes (weights/heatmap-pass.ts) in C (heatmapPass/absInRange of the native addon)
 * against the JS kernel on the same stored bytes: pooled cells and histogram bit for bit, for
 * Δ of every pair of F32/F16/BF16 dtypes and for one side alone, on patterns that mix near-unit
 * values with NaN, ±∞, subnormals and ±0. The addon is optional: without it the native half is
 * skipped, except where CI requires it built.
 */

const available = nativeHeatmapAvailable();
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';
afterAll(() => setNativeHeatmap(true));

type Dtype = 'F32' | 'F16' | 'BF16';
const DTYPES: Dtype[] = ['F32', 'F16', 'BF16'];

/** Little-endian bytes of `count` elements: mostly near-unit values, some any bits at all. */
function rawBytes(dtype: Dtype, count: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const out = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const wild = next() % 8 === 0;
    if (dtype === 'F32') view.setUint32(i * 4, wild ? next() : (next() & 0x80ffffff) | 0x3c000000, true);
    else if (dtype === 'BF16')
      view.setUint16(i * 2, wild ? next() >>> 16 : ((next() >>> 16) & 0x80ff) | 0x3c00, true);
    else view.setUint16(i * 2, wild ? next() >>> 16 : ((next() >>> 16) & 0x83ff) | 0x3000, true);
    if (next() % 13 === 0) view.setUint16(i * DTYPE_BYTES[dtype] + DTYPE_BYTES[dtype] - 2, 0, true);
  }
  return out;
}

/** A one-tensor source over stored bytes (reads decode, raw reads are views). */
function rawSource(shape: number[], dtype: Dtype, bytes: Uint8Array, label: string): TensorSource {
  const count = shape.reduce((x, y) => x * y, 1);
  const size = DTYPE_BYTES[dtype];
  return {
    label,
    tensors: [{ name: 'w', shape, dtype, count }],
    metadata: {},
    read: (_name, start, out) =>
      decodeChunk(dtype, bytes.subarray(start * size, (start + out.length) * size), out),
    readRaw: (_name, start, n) => bytes.subarray(start * size, (start + n) * size),
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

function readers(shape: number[], da: Dtype, db: Dtype, seed: number): HeatmapReader[] {
  const count = shape.reduce((x, y) => x * y, 1);
  const sa = rawSource(shape, da, rawBytes(da, count, seed), 'A');
  const sb = rawSource(shape, db, rawBytes(db, count, seed + 1), 'B');
  return [deltaReader(sa, sb, sa.tensors[0]!, sb.tensors[0]!), tensorReader(sb, sb.tensors[0]!)];
}

/** Runs `use` with the native kernel on or off. */
function withKernel<T>(native: boolean, use: () => T): T {
  setNativeHeatmap(native);
  try {
    return use();
  } finally {
    setNativeHeatmap(true);
  }
}

describe.skipIf(!available && !required)('the native heatmap pass', () => {
  it('is built where CI requires it', () => {
    expect(available).toBe(true);
  });

  it.each(DTYPES.flatMap((da) => DTYPES.map((db) => [da, db] as const)))(
    'pools and histograms Δ = %s − … and the side alone as the JS kernel does (%s)',
    (da, db) => {
      for (const [shape, level, chunk] of [
        [[67, 301], 2, 1 << 22],
        [[67, 301], 3, 301 * 8],
        [[9, 30_000], 1, 1 << 22],
        [[5000], 4, 1 << 22],
        [[130, 300], 6, 1 << 22],
      ] as const) {
        for (const reader of readers([...shape], da, db, shape[0] + level)) {
          // The pass also collects the values of one window (a bin holding near-unit values).
          const window = () => ({ low: 0x3c000000, high: 0x3c020000, capacity: 40_000 });
          const options = { chunkElements: chunk, window };
          const js = withKernel(false, () => poolingPass(reader, level, options));
          const native = withKernel(true, () => poolingPass(reader, level, options));
          expect(Buffer.from(native.pooled.data.buffer).equals(Buffer.from(js.pooled.data.buffer))).toBe(
            true,
          );
          const { counts, ...rest } = native.histogram;
          expect(Buffer.from(counts.buffer).equals(Buffer.from(js.histogram.counts.buffer))).toBe(true);
          const { counts: _jsCounts, ...jsRest } = js.histogram;
          expect(rest).toEqual(jsRest);
          expect(js.collected!.values.length).toBeGreaterThan(0);
          expect([...native.collected!.values]).toEqual([...js.collected!.values]);
          // The values of one bin, collected in element order by a pass of their own.
          const [low, high] = [0x3c000000, 0x3c010000];
          const expected = js.histogram.counts[low >>> 16]!;
          const collected = withKernel(false, () => absInRange(reader, low, high, expected, 1000));
          expect([...withKernel(true, () => absInRange(reader, low, high, expected, 1000))]).toEqual([
            ...collected,
          ]);
        }
      }
    },
  );

  it('reports a window that does not fit as not collected', () => {
    for (const native of [false, true]) {
      const [reader] = readers([40, 300], 'F32', 'BF16', 5);
      const window = () => ({ low: 0, high: 2 ** 31, capacity: 100 });
      const pass = withKernel(native, () => poolingPass(reader!, 1, { chunkElements: 300 * 4, window }));
      expect(pass.collected).toBeNull();
    }
  });

  it('refuses a bin count that the tensor does not hold (a file changed while open)', () => {
    const [reader] = readers([10, 10], 'BF16', 'BF16', 3);
    expect(() => absInRange(reader!, 0, 2 ** 31, 5)).toThrow(
      /found 100 values in a histogram bin that held 5/,
    );
  });
});

describe('readRegion', () => {
  it('reads a block of the matrix at full resolution', () => {
    const [delta] = readers([6, 7], 'F32', 'BF16', 9);
    const whole = new Float32Array(42);
    delta!.fill(0, whole);
    const region = readRegion(delta!, 2, 3, 1, 4);
    const expected: number[] = [];
    for (let r = 2; r < 5; r++) for (let c = 1; c < 5; c++) expected.push(whole[r * 7 + c]!);
    expect([...region.data]).toEqual(expected);
    expect(() => readRegion(delta!, 4, 3, 0, 7)).toThrow(
      /region \[4, 7\) × \[0, 7\) is outside the 6×7 matrix/,
    );
  });
});
