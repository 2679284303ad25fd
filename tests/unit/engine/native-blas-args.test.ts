import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBlas, type BlasAddon } from '../../../src-main/engine/native-blas';
import { createRng, type Rng } from '../../../src-main/shared/random';

/**
 * The addon's argument checks (native/blas/src/deltascope_blas.c): every call whose offsets, strides
 * or sizes would reach outside the heap, overflow, or are not integers is refused with a clear
 * RangeError/TypeError and leaves the heap untouched; every valid call computes the right product
 * without touching anything but its output. Thousands of random and extreme argument sets go through
 * the addon as the engine loads it; a guard band of NaNs around the heap catches any read or write
 * outside it.
 */

const native = loadBlas();
const GUARD = 64;
const HEAP = 2048;
const INT32_MAX = 2 ** 31 - 1;
const CLEAR_ERROR =
  /must be|lies outside the heap|overflows|invalid activation|takes \d+ arguments|exceed BLAS/;

/** A heap of HEAP floats inside a buffer whose GUARD floats on either side are NaN. */
function guardedHeap(rng: Rng): { buffer: Float32Array; heap: Float32Array } {
  const buffer = new Float32Array(GUARD + HEAP + GUARD).fill(Number.NaN);
  const heap = buffer.subarray(GUARD, GUARD + HEAP);
  for (let i = 0; i < HEAP; i++) heap[i] = Math.round((rng.float() * 2 - 1) * 8) / 8;
  return { buffer, heap };
}

const bitsOf = (xs: Float32Array): Uint32Array => new Uint32Array(xs.slice().buffer);

/** Indexes where two buffers differ bit for bit. */
function changed(before: Uint32Array, after: Float32Array): number[] {
  const now = bitsOf(after);
  const out: number[] = [];
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) out.push(i);
  return out;
}

/** Extreme values an argument may take, beside the plausible ones. */
const EXTREMES: unknown[] = [
  -1,
  -20,
  -(2 ** 31),
  HEAP - 1,
  HEAP,
  HEAP + 1,
  INT32_MAX,
  2 ** 31,
  2 ** 32 + 1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 62,
  2 ** 63,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2.5,
  -0.5,
  '3',
  null,
  undefined,
];

/** A few arguments replaced by extremes (none for about a third of the calls). */
function mutate(rng: Rng, args: unknown[]): unknown[] {
  const out = [...args];
  const count = rng.int(3);
  for (let i = 0; i < count; i++) out[1 + rng.int(out.length - 1)] = EXTREMES[rng.int(EXTREMES.length)];
  if (rng.int(100) === 0) out.pop(); // too few arguments
  if (rng.int(100) === 0) out[0] = new Float64Array(HEAP); // not a Float32Array
  return out;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const within = (off: bigint, count: bigint): boolean =>
  off >= 0n && count >= 0n && off + count <= BigInt(HEAP);

/** gemm's contract: whether the call is valid, and (when it is) the output region [start, end). */
function gemmModel(args: unknown[]): { valid: boolean; out: [number, number] } {
  const none = { valid: false, out: [0, 0] as [number, number] };
  if (args.length < 15 || !(args[0] instanceof Float32Array) || !args.slice(1).every(isInt)) return none;
  const [ta, tb, batch, m, n, k, aOff, aStride, bOff, bStride, cOff, biasOff, biasLen, act] = (
    args.slice(1) as number[]
  ).map(BigInt) as bigint[] as [bigint, ...bigint[]];
  const big = (x: bigint | undefined): bigint => x!;
  const I32 = BigInt(INT32_MAX);
  if ((ta !== 0n && ta !== 1n) || (big(tb) !== 0n && big(tb) !== 1n)) return none;
  if (big(batch) < 1n || [m, n, k].some((d) => big(d) < 0n || big(d) > I32)) return none;
  if (big(aStride) < 0n || big(bStride) < 0n) return none;
  if ((act !== 0n && act !== 1n) || big(biasOff) < -1n) return none;
  if (big(biasOff) >= 0n && biasLen !== 1n && biasLen !== n) return none;
  const cLen = big(batch) * big(m) * big(n);
  const ok =
    within(big(aOff), big(aStride) * (big(batch) - 1n) + big(m) * big(k)) &&
    within(big(bOff), big(bStride) * (big(batch) - 1n) + big(k) * big(n)) &&
    within(big(cOff), cLen) &&
    (big(biasOff) < 0n || within(big(biasOff), big(biasLen)));
  return ok ? { valid: true, out: [Number(cOff), Number(big(cOff) + cLen)] } : none;
}

/** C_i = op(A_i)·op(B_i) (+ bias, relu) from the heap as it was before the call. */
function gemmReference(heap: Float32Array, a: number[]): Float64Array {
  const [ta, tb, batch, m, n, k, aOff, aStride, bOff, bStride, , biasOff, biasLen, act] = a as [
    number,
    ...number[],
  ];
  const [B, M, N, K] = [batch!, m!, n!, k!];
  const out = new Float64Array(B * M * N);
  if (out.length === 0) return out; // (batch may be 2^53 − 1 when C is empty)
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = biasOff! >= 0 ? heap[biasOff! + (biasLen === 1 ? 0 : j)]! : 0;
        for (let p = 0; p < K; p++) {
          const av = heap[aOff! + b * aStride! + (ta ? p * M + i : i * K + p)]!;
          const bv = heap[bOff! + b * bStride! + (tb ? j * K + p : p * N + j)]!;
          s += av * bv;
        }
        out[(b * M + i) * N + j] = act === 1 ? Math.max(0, s) : s;
      }
    }
  }
  return out;
}

/** A plausible gemm call: small sizes, regions that usually fit and do not overlap. */
function plausibleGemm(rng: Rng, heap: Float32Array): unknown[] {
  const [batch, m, n, k] = [1 + rng.int(3), rng.int(7), rng.int(7), rng.int(7)];
  const aStride = rng.int(2) === 0 ? 0 : m * k;
  const bStride = rng.int(2) === 0 ? 0 : k * n;
  const bias = rng.int(3);
  return [
    heap,
    rng.int(2),
    rng.int(2),
    batch,
    m,
    n,
    k,
    0,
    aStride,
    512,
    bStride,
    1024,
    bias === 0 ? -1 : 1536,
    bias === 1 ? 1 : n,
    rng.int(2),
  ];
}

/** conv2d's contract (the three modes share it): validity and the written region. */
function convModel(args: unknown[], mode: number): { valid: boolean; out: [number, number] } {
  const none = { valid: false, out: [0, 0] as [number, number] };
  if (args.length < 22 || !(args[0] instanceof Float32Array) || !args.slice(1).every(isInt)) return none;
  const p = (args.slice(1) as number[]).map(BigInt);
  const at = (i: number): bigint => p[i]!;
  for (let i = 1; i < 17; i++) {
    if (i === 5) continue;
    if (at(i) < (i >= 15 ? 0n : 1n) || at(i) > BigInt(INT32_MAX)) return none;
  }
  const [batch, inH, inW, inC, fH, fW, outC, outH, outW] = [1, 2, 3, 4, 6, 7, 8, 9, 10].map(at) as bigint[];
  const [biasOff, biasLen, act] = [at(18), at(19), at(20)];
  if ((act !== 0n && act !== 1n) || biasOff < -1n) return none;
  if (biasOff >= 0n && biasLen !== 1n && biasLen !== outC) return none;
  if (mode !== 0 && (biasOff >= 0n || act !== 0n)) return none;
  const rows = batch! * outH! * outW!;
  const cols = fH! * fW! * inC!;
  if (rows > BigInt(INT32_MAX) || cols > BigInt(INT32_MAX)) return none;
  const xLen = batch! * inH! * inW! * inC!;
  const regions: [bigint, bigint][] = [
    [at(0), xLen],
    [at(5), cols * outC!],
    [at(17), rows * outC!],
  ];
  if (!regions.every(([off, len]) => within(off, len))) return none;
  if (biasOff >= 0n && !within(biasOff, biasLen)) return none;
  const written = regions[mode === 0 ? 2 : mode === 1 ? 1 : 0]!;
  return { valid: true, out: [Number(written[0]), Number(written[0] + written[1])] };
}

/** A plausible convolution: small geometry whose output size follows from the input. */
function plausibleConv(rng: Rng, heap: Float32Array, mode: number): unknown[] {
  const [batch, inH, inW, inC, fH, fW, outC] = [
    1 + rng.int(2),
    1 + rng.int(6),
    1 + rng.int(6),
    1 + rng.int(3),
  ]
    .concat([1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(4)])
    .map(Number) as [number, number, number, number, number, number, number];
  const [sH, sW, dH, dW, padT, padL] = [
    1 + rng.int(2),
    1 + rng.int(2),
    1 + rng.int(2),
    1,
    rng.int(2),
    rng.int(2),
  ];
  const outH = Math.max(1, Math.floor((inH + 2 * padT - dH * (fH - 1) - 1) / sH) + 1);
  const outW = Math.max(1, Math.floor((inW + 2 * padL - dW * (fW - 1) - 1) / sW) + 1);
  const bias = mode === 0 ? rng.int(3) : 0;
  return [
    heap,
    0,
    batch,
    inH,
    inW,
    inC,
    512,
    fH,
    fW,
    outC,
    outH,
    outW,
    sH,
    sW,
    dH,
    dW,
    padT,
    padL,
    1024,
    bias === 0 ? -1 : 1800,
    bias === 1 ? 1 : outC,
    mode === 0 ? rng.int(2) : 0,
  ];
}

type Call = (...args: unknown[]) => void;

/** Runs one call and checks it against the model; returns whether it was valid. */
function check(
  call: Call,
  args: unknown[],
  model: { valid: boolean; out: [number, number] },
  buffer: Float32Array,
  label: string,
): boolean {
  const before = bitsOf(buffer);
  let error: unknown = null;
  try {
    call(...args);
  } catch (e) {
    error = e;
  }
  const diff = changed(before, buffer);
  const shown = args.slice(1).map(String).join(', ');
  if (!model.valid) {
    expect(error, `${label}(${shown}) should be refused`).toBeInstanceOf(Error);
    expect(
      error instanceof RangeError || error instanceof TypeError,
      `${label}(${shown}): ${String(error)}`,
    ).toBe(true);
    expect((error as Error).message, `${label}(${shown})`).toMatch(CLEAR_ERROR);
    expect(diff, `${label}(${shown}) was refused but wrote to the heap`).toEqual([]);
    return false;
  }
  expect(error, `${label}(${shown}) is valid`).toBeNull();
  const [start, end] = model.out;
  const outside = diff.filter((i) => i < GUARD + start || i >= GUARD + end);
  expect(outside, `${label}(${shown}) wrote outside its output`).toEqual([]);
  const nan = buffer.subarray(GUARD + start, GUARD + end).findIndex((v) => Number.isNaN(v));
  expect(nan, `${label}(${shown}) read the guard band`).toBe(-1);
  return true;
}

describe.runIf(native !== null)('the native addon refuses every invalid argument set', () => {
  const addon = (native?.addon ?? null) as BlasAddon;

  it('refuses a negative stride (a gemm with aStride = −20 used to read 20 floats before the heap)', () => {
    const { buffer, heap } = guardedHeap(createRng(1));
    const before = bitsOf(buffer);
    // A's extent −20·(2 − 1) + 5·5 = 5 looked in range, and A₁ started 20 floats before the heap
    expect(() => addon.gemm(heap, 0, 0, 2, 5, 5, 5, 0, -20, 100, 0, 200, -1, 0, 0)).toThrow(
      /gemm: aStride and bStride must be ≥ 0 \(got -20, 0\)/,
    );
    expect(() => addon.gemm(heap, 0, 0, 2, 2, 2, 2, 0, 0, 100, -4, 200, -1, 0, 0)).toThrow(/bStride/);
    expect(changed(before, buffer)).toEqual([]);
  });

  it('refuses sizes whose product overflows instead of wrapping them into the heap', () => {
    const { heap } = guardedHeap(createRng(2));
    // 2^31−1 × 2^31−1 × 2^31−1 wraps an int64 product; checked arithmetic refuses it
    expect(() => addon.gemm(heap, 0, 0, INT32_MAX, INT32_MAX, INT32_MAX, 1, 0, 0, 0, 0, 0, -1, 0, 0)).toThrow(
      /overflows|outside the heap/,
    );
    const huge = 2 ** 40;
    expect(() =>
      addon.conv2d(heap, 0, 1, 2 ** 30, 2 ** 30, 2 ** 30, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, -1, 0, 0),
    ).toThrow(/conv2d: the size of x overflows|outside the heap/);
    expect(() => addon.gemm(heap, 0, 0, 1, huge, 1, 1, 0, 0, 0, 0, 0, -1, 0, 0)).toThrow(/2\^31/);
    expect(() => addon.gemm(heap, 0, 0, 1, 2, 2, 2, Number.NaN, 0, 0, 0, 0, -1, 0, 0)).toThrow(
      /aOff must be an integer \(got nan\)/,
    );
  });

  it('fuzz: gemm with random and extreme arguments', () => {
    const rng = createRng(20261206);
    const { buffer, heap } = guardedHeap(rng);
    const call: Call = (...args) => (addon.gemm as unknown as Call)(...args);
    let valid = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const args = mutate(rng, plausibleGemm(rng, heap));
      const model = gemmModel(args);
      const snapshot = heap.slice();
      if (check(call, args, model, buffer, 'gemm')) {
        valid++;
        const [start, end] = model.out;
        const expected = gemmReference(snapshot, args.slice(1) as number[]);
        const [, , , batch, m, n, k, aOff, aStride, bOff, bStride, , biasOff, biasLen] = args as number[];
        const inputs = [
          [aOff!, aStride! * (batch! - 1) + m! * k!],
          [bOff!, bStride! * (batch! - 1) + k! * n!],
          [biasOff!, biasOff! >= 0 ? biasLen! : 0],
        ] as const;
        // an output over its own inputs is allowed but has no simple reference
        if (inputs.every(([off, len]) => off + len <= start || end <= off)) {
          let worst = 0;
          for (let i = start; i < end; i++)
            worst = Math.max(worst, Math.abs(heap[i]! - expected[i - start]!));
          expect(worst, `gemm(${args.slice(1).join(', ')})`).toBeLessThan(1e-4);
        }
      }
    }
    // both kinds were exercised in earnest
    expect(valid).toBeGreaterThan(500);
    expect(valid).toBeLessThan(2800);
  });

  for (const [mode, name] of [
    [0, 'conv2d'],
    [1, 'conv2dFilterGrad'],
    [2, 'conv2dInputGrad'],
  ] as const) {
    it(`fuzz: ${name} with random and extreme arguments`, () => {
      const rng = createRng(7 + mode);
      const { buffer, heap } = guardedHeap(rng);
      const call: Call = (...args) => (addon[name] as unknown as Call)(...args);
      let valid = 0;
      for (let trial = 0; trial < 1500; trial++) {
        const args = mutate(rng, plausibleConv(rng, heap, mode));
        if (check(call, args, convModel(args, mode), buffer, name)) valid++;
      }
      expect(valid).toBeGreaterThan(250);
      expect(valid).toBeLessThan(1400);
    });
  }
});

/** Node's headers next to this Node (as build-native.mjs finds them). */
const nodeHeaders = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' }).status === 0;

describe.runIf(gcc && existsSync(path.join(nodeHeaders, 'node_api.h')))('the addon source', () => {
  it.each(['deltascope_blas.c', 'delta_stats.c'])(
    '%s compiles without a warning under -std=c11 -Wall -Wextra -Werror (as CI builds it)',
    (file) => {
      const source = path.join(process.cwd(), 'native', 'blas', 'src', file);
      const result = spawnSync(
        'gcc',
        ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', `-I${nodeHeaders}`, source],
        { encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
