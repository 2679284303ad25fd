import { afterAll, describe, expect, it } from 'vitest';
import {
  accumulateDelta,
  createDeltaAccumulator,
  finishDeltaStats,
  type DeltaAccumulator,
} from '../../../src-main/weights/delta-stats';
import { diffCheckpoints } from '../../../src-main/weights/diff';
import { diffSources } from '../../../src-main/weights/diff-stream';
import { decodeChunk, DTYPE_BYTES } from '../../../src-main/weights/formats/dtype-codec';
import {
  accumulateRawDelta,
  nativeDeltaAvailable,
  setNativeDelta,
} from '../../../src-main/weights/native-delta';
import type { SourceTensor, TensorSource } from '../../../src-main/weights/tensor-source';
import { tensorMapFromTensors } from '../../../src-main/weights/tensor-map';
import { expectError } from './helpers';

/**
 * The native pass (deltaPass in native/blas) against the JS kernel on the same chunks: every
 * accumulator field bit for bit, for each pair of F32/F16/BF16 dtypes, on bit patterns that mix
 * values near ±2^-5…2^5 with NaN (payloads included), ±∞, subnormals, ±0 and, for `wild`, any bits.
 * The addon is optional: without it these tests are skipped, except where CI requires it built.
 */

const available = nativeDeltaAvailable();
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';
afterAll(() => setNativeDelta(true));

type Dtype = 'F32' | 'F16' | 'BF16';
const DTYPES: Dtype[] = ['F32', 'F16', 'BF16'];

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Little-endian bytes of `count` elements of `dtype`: near-unit values with specials mixed in. */
function rawBytes(dtype: Dtype, count: number, seed: number, wild: boolean): Uint8Array {
  const random = lcg(seed);
  const [exponentBits, mantissaBits] = dtype === 'F16' ? [5, 10] : dtype === 'BF16' ? [8, 7] : [8, 23];
  const bias = 2 ** (exponentBits - 1) - 1;
  const top = 2 ** exponentBits - 1;
  const out = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const pick = random();
    let e = bias - 5 + Math.floor(random() * 11);
    if (wild) e = Math.floor(random() * (top + 1));
    else if (pick < 0.02) e = top;
    else if (pick < 0.05) e = 0;
    const m = pick > 0.04 && pick < 0.05 ? 0 : Math.floor(random() * 2 ** mantissaBits);
    const sign = random() < 0.5 ? 1 : 0;
    const bits = sign * 2 ** (exponentBits + mantissaBits) + e * 2 ** mantissaBits + m;
    if (dtype === 'F32') view.setUint32(i * 4, bits, true);
    else view.setUint16(i * 2, bits, true);
  }
  return out;
}

/** Finite, normal values only (|v| in 2^-5 … 2^5): the vector kernel never leaves its loop. */
function cleanBytes(dtype: Dtype, count: number, seed: number): Uint8Array {
  const random = lcg(seed);
  const values = new Float32Array(count).map(() => (random() < 0.5 ? -1 : 1) * 2 ** (10 * random() - 5));
  const out = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  const f32 = new Uint32Array(values.buffer);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') view.setUint32(i * 4, f32[i]!, true);
    // BF16: the top half of the float32 bits; F16: a value in F16's range, rounded by the codec
    else if (dtype === 'BF16') view.setUint16(i * 2, f32[i]! >>> 16, true);
    else view.setUint16(i * 2, toHalfBits(values[i]!), true);
  }
  return out;
}

/** IEEE half bits of a normal float32 in F16's range (mantissa truncated). */
function toHalfBits(v: number): number {
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  return ((bits >>> 16) & 0x8000) | (exponent << 10) | ((bits >>> 13) & 0x3ff);
}

/** A with every `stride`-th element re-drawn (finite values only). */
function cleanUpdate(dtype: Dtype, a: Uint8Array, stride: number): Uint8Array {
  const redraw = cleanBytes(dtype, a.length / DTYPE_BYTES[dtype], 6);
  const out = a.slice();
  const width = DTYPE_BYTES[dtype];
  for (let i = 0; i < out.length; i += stride * width) out.set(redraw.subarray(i, i + width), i);
  return out;
}

/** A with the lowest mantissa bit of every third element from `phase` flipped: tiny Δ among exact zeros. */
function sparseNudge(dtype: Dtype, a: Uint8Array, phase: number): Uint8Array {
  const out = a.slice();
  const width = DTYPE_BYTES[dtype];
  for (let i = phase; i < out.length / width; i += 3) out[i * width]! ^= 1;
  return out;
}

/** B = A with every `stride`-th element re-drawn (a sparse update), in B's dtype. */
function updated(dtypeA: Dtype, a: Uint8Array, dtypeB: Dtype, seed: number, stride: number, wild: boolean) {
  const n = a.length / DTYPE_BYTES[dtypeA];
  const redraw = rawBytes(dtypeB, n, seed, wild);
  if (dtypeA !== dtypeB) return redraw;
  const out = a.slice();
  const width = DTYPE_BYTES[dtypeB];
  for (let i = 0; i < n; i += stride) out.set(redraw.subarray(i * width, (i + 1) * width), i * width);
  return out;
}

function decoded(dtype: Dtype, bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / DTYPE_BYTES[dtype]);
  decodeChunk(dtype, bytes, out);
  return out;
}

/** Settings that make the native pass take one of its builds. */
const BUILDS = { baseline: 'DELTASCOPE_DELTA_BASELINE', avx2: 'DELTASCOPE_DELTA_AVX2' } as const;

/**
 * The same chunks through the JS kernel and the native pass, the latter as the machine runs it (its
 * AVX-512 or AVX2 build where the CPU has them), as the AVX2 build (DELTASCOPE_DELTA_AVX2; the
 * baseline where the CPU lacks AVX2) and as the baseline build (DELTASCOPE_DELTA_BASELINE).
 */
function bothPaths(chunks: [Dtype, Uint8Array, Dtype, Uint8Array][], bins?: number) {
  const js = createDeltaAccumulator({ bins });
  const native = createDeltaAccumulator({ bins });
  const forced = { baseline: createDeltaAccumulator({ bins }), avx2: createDeltaAccumulator({ bins }) };
  for (const [dtypeA, a, dtypeB, b] of chunks) {
    accumulateDelta(js, decoded(dtypeA, a), decoded(dtypeB, b));
    accumulateRawDelta(native, { dtype: dtypeA, bytes: a }, { dtype: dtypeB, bytes: b });
    for (const build of ['baseline', 'avx2'] as const) {
      process.env[BUILDS[build]] = '1';
      try {
        accumulateRawDelta(forced[build], { dtype: dtypeA, bytes: a }, { dtype: dtypeB, bytes: b });
      } finally {
        delete process.env[BUILDS[build]];
      }
    }
  }
  expectSame(forced.baseline, js);
  expectSame(forced.avx2, js);
  return { js, native };
}

function expectSame(native: DeltaAccumulator, js: DeltaAccumulator): void {
  // toEqual compares numbers with Object.is: −0 ≠ +0, and each float64 sum must match to the bit.
  expect(native).toEqual(js);
  expect(finishDeltaStats(native)).toEqual(finishDeltaStats(js));
}

describe.runIf(available || required)('native diff pass', () => {
  it('is built where CI requires it', () => {
    expect(available).toBe(true);
  });

  for (const dtypeA of DTYPES) {
    for (const dtypeB of DTYPES) {
      for (const wild of [false, true]) {
        it(`${dtypeA} − ${dtypeB}${wild ? ', any bit patterns' : ''}: the JS kernel's sums bit for bit`, () => {
          const chunks: [Dtype, Uint8Array, Dtype, Uint8Array][] = [];
          // Several chunks into one accumulator: the histogram grows between and within them.
          for (let c = 0; c < 4; c++) {
            const a = rawBytes(dtypeA, 3000 + 517 * c, 10 * c + 1, wild);
            chunks.push([dtypeA, a, dtypeB, updated(dtypeA, a, dtypeB, 10 * c + 2, 1 + c * 7, wild)]);
          }
          const { js, native } = bothPaths(chunks);
          expect(js.count).toBeGreaterThan(0);
          expectSame(native, js);
        });
      }
    }
  }

  it('long runs in the vector kernel (no specials): sparse and dense updates, bit for bit', () => {
    // The kernel's groups of eight run uninterrupted here: the histogram (bins computed in the
    // vector, those of non-zero Δ queued and counted in batches, zeros only counted), the counts of
    // |Δ| > ε and of sign flips, and each dtype's load.
    const chunks: [Dtype, Uint8Array, Dtype, Uint8Array][] = [];
    for (const dtype of DTYPES) {
      const a = cleanBytes(dtype, 40_000, 5);
      chunks.push([dtype, a, dtype, cleanUpdate(dtype, a, 16)]);
      // the first Δ non-zero (the pass's shift too), and ±0 (the shift ±0: t = Δ, one chain for Σt², Σd²)
      chunks.push([dtype, a, dtype, sparseNudge(dtype, a, 0)]);
      chunks.push([dtype, a, dtype, sparseNudge(dtype, a, 1)]);
      const negativeZero = a.slice();
      negativeZero.fill(0, 0, DTYPE_BYTES[dtype]);
      const positiveZero = negativeZero.slice();
      negativeZero[DTYPE_BYTES[dtype] - 1] = 0x80;
      chunks.push([dtype, positiveZero, dtype, sparseNudge(dtype, negativeZero, 2)]);
      for (const other of DTYPES) chunks.push([dtype, a, other, cleanBytes(other, 40_000, 7)]);
    }
    for (const bins of [64, 4096]) {
      const { js, native } = bothPaths(chunks, bins);
      expect(js.nonFinite).toBe(0);
      expect(js.signFlips).toBeGreaterThan(0);
      expectSame(native, js);
    }
  }, 30_000);

  it('an unchanged chunk, a tiny update after a large one, 4096 bins, empty chunks', () => {
    const a = rawBytes('BF16', 5000, 3, false);
    const tiny = new Uint8Array(8);
    new DataView(tiny.buffer).setUint32(0, 0x3f800000, true);
    new DataView(tiny.buffer).setUint32(4, 0x00000001, true);
    const tinyB = new Uint8Array(8);
    new DataView(tinyB.buffer).setUint32(0, 0x3f800001, true);
    const { js, native } = bothPaths(
      [
        ['BF16', a, 'BF16', a.slice()],
        ...DTYPES.map((dtype): [Dtype, Uint8Array, Dtype, Uint8Array] => {
          const wild = rawBytes(dtype, 4099, 9, true);
          return [dtype, wild, dtype, wild.slice()];
        }),
        ['BF16', a, 'BF16', updated('BF16', a, 'BF16', 4, 3, false)],
        // the same but for one finite element: in the middle, then the last (after the vector groups)
        ...[2501, 5001].map((at): [Dtype, Uint8Array, Dtype, Uint8Array] => {
          const clean = cleanBytes('BF16', 5003, 8);
          const b = clean.slice();
          b[2 * at] = b[2 * at]! ^ 1;
          return ['BF16', clean, 'BF16', b];
        }),
        ['F32', tiny, 'F32', tinyB],
        ['F16', new Uint8Array(0), 'F16', new Uint8Array(0)],
      ],
      4096,
    );
    expectSame(native, js);
  }, 30_000); // deep equality over 4096 × 32 fine bins, four times: seconds on a loaded machine

  it('diffCheckpoints (tensors in memory) gives the same result with the native pass as without it', () => {
    const map = (seed: number) =>
      tensorMapFromTensors(
        [70_000, 3, 0].map((count, i) => ({
          name: `t${i}`,
          shape: [count],
          data: decoded('F32', rawBytes('F32', count, seed + i, seed === 2)),
        })),
      );
    const [a, b] = [map(1), map(2)];
    const native = diffCheckpoints(a, b);
    expect(setNativeDelta(false)).toBe(false);
    const js = diffCheckpoints(a, b);
    setNativeDelta(true);
    expect(native).toEqual(js);
  });

  it('refuses chunks of different lengths with SHAPE_MISMATCH', () => {
    const acc = createDeltaAccumulator();
    expectError(
      () =>
        accumulateRawDelta(
          acc,
          { dtype: 'F32', bytes: new Uint8Array(8) },
          { dtype: 'BF16', bytes: new Uint8Array(8) },
        ),
      'SHAPE_MISMATCH',
    );
  });

  /** Two sources over `tensors` with random bytes (F64 tensors read through `read` only). */
  function sources(tensors: SourceTensor[]): [TensorSource, TensorSource] {
    const source = (label: string, seed: number): TensorSource => {
      const bytes = new Map(
        tensors.map((t, i) => {
          if (t.dtype !== 'F64') return [t.name, rawBytes(t.dtype, t.count, seed * 10 + i, false)];
          const values = new Float64Array(t.count).map((_, k) => Math.sin(k * (seed + 1)));
          return [t.name, new Uint8Array(values.buffer)];
        }),
      );
      const width = (name: string) => DTYPE_BYTES[tensors.find((t) => t.name === name)!.dtype];
      return {
        label,
        tensors,
        metadata: {},
        read(name, start, out) {
          const w = width(name);
          const dtype = tensors.find((t) => t.name === name)!.dtype;
          decodeChunk(dtype, bytes.get(name)!.subarray(start * w, (start + out.length) * w), out);
        },
        // Into the caller's buffer, as the file reader does: a buffer reused while its pass still
        // ran would show as a difference from the JS kernel.
        readRaw(name, start, count, scratch) {
          const w = width(name);
          scratch.set(bytes.get(name)!.subarray(start * w, (start + count) * w));
          return scratch.subarray(0, count * w);
        },
        peakBytesHeld: () => 0,
        close: () => undefined,
      };
    };
    return [source('a', 1), source('b', 2)];
  }

  /** diffSources with the native pass and with the JS kernel. */
  function bothDiffs(tensors: SourceTensor[], memoryBudgetBytes: number) {
    const [a, b] = sources(tensors);
    const progress: number[] = [];
    const native = diffSources(a, b, { memoryBudgetBytes, onProgress: (done) => progress.push(done) });
    expect(setNativeDelta(false)).toBe(false);
    const js = diffSources(a, b, { memoryBudgetBytes });
    setNativeDelta(true);
    // Three pairs of chunk buffers instead of one: more memory held, still within the budget.
    expect(native.peakBytesHeld).toBeLessThanOrEqual(memoryBudgetBytes);
    expect(js.peakBytesHeld).toBeLessThanOrEqual(native.peakBytesHeld);
    return { native: { ...native, peakBytesHeld: 0 }, js: { ...js, peakBytesHeld: 0 }, progress };
  }

  it('diffSources gives the same result with the native pass as without it', () => {
    // 24 000 bytes: chunks of 1000 elements, so each tensor spans several chunks.
    const { native, js } = bothDiffs(
      [
        { name: 'bf16', shape: [70, 100], dtype: 'BF16', count: 7000 },
        { name: 'f16', shape: [3333], dtype: 'F16', count: 3333 },
        { name: 'empty', shape: [0], dtype: 'F32', count: 0 },
        { name: 'f32', shape: [5000], dtype: 'F32', count: 5000 },
      ],
      24_000,
    );
    expect(native).toEqual(js);
  }, 30_000); // whole checkpoints through both paths: seconds on a loaded machine

  it('passes on threads, merged in order: the same result, progress in order, within the budget', () => {
    // Chunks of 100 000 elements (2.4 MB budget): passes long enough to run on threads of their own.
    const tensors: SourceTensor[] = [
      { name: 'big', shape: [450_000], dtype: 'BF16', count: 450_000 },
      { name: 'small', shape: [100], dtype: 'F16', count: 100 },
      { name: 'f32', shape: [300, 1000], dtype: 'F32', count: 300_000 },
    ];
    const { native, js, progress } = bothDiffs(tensors, 2_400_000);
    expect(native).toEqual(js);
    expect(native.tensors.map((t) => t.name)).toEqual(['big', 'small', 'f32']);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress.at(-1)).toBe(750_100);
    // With an F64 tensor (read through the JS kernel) in the middle, the same again.
    const mixed = bothDiffs(
      [...tensors.slice(0, 2), { name: 'f64', shape: [200_000], dtype: 'F64', count: 200_000 }, tensors[2]!],
      2_400_000,
    );
    expect(mixed.native).toEqual(mixed.js);
  }, 30_000); // native threads: under 2 s of CPU, 8–17 s of wall time at load 20
});
