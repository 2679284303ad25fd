import { afterAll, describe, expect, it } from 'vitest';
import { tiesMerge, type TrimRule } from '../../../src-main/weights/aggregate-ties';
import { combineArrays } from '../../../src-main/weights/arithmetic';
import { nativeTiesAvailable, nativeTrimRule, setNativeTies } from '../../../src-main/weights/native-ties';
import { streamedTrimRule, streamedTrimRules, tiesChunk } from '../../../src-main/weights/ties-stream';

/**
 * The TIES kernels in C (native/blas/src/ties.c) against the JS loops on the same deltas: the merged
 * values bit for bit, the trim rules equal, the tie budgets left the same after each chunk. Deltas mix
 * rounded values (many ties at the threshold), ±0, subnormals, NaN and ±∞. The addon is optional:
 * without it these tests are skipped, except where CI requires it built.
 */

const available = nativeTiesAvailable();
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';
afterAll(() => setNativeTies(true));

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function delta(count: number, seed: number): Float32Array {
  const random = lcg(seed);
  return Float32Array.from({ length: count }, () => {
    const pick = random();
    if (pick < 0.01) return NaN;
    if (pick < 0.015) return random() < 0.5 ? Infinity : -Infinity;
    if (pick < 0.05) return random() < 0.5 ? 0 : -0;
    if (pick < 0.07) return (random() - 0.5) * 2 ** -130; // subnormal
    return Math.round((random() - 0.5) * 64) / 16; // few distinct values: ties at the threshold
  });
}

/** Mostly ±0 (a sparse update): the trim threshold is 0 when more entries are kept than are non-zero. */
function sparse(count: number, seed: number): Float32Array {
  const values = delta(count, seed);
  for (let j = 0; j < count; j++) if (j % 16 !== 3) values[j] = j % 5 === 0 ? -0 : 0;
  return values;
}

const bits = (values: Float32Array) => [...new Uint32Array(values.buffer, values.byteOffset, values.length)];

/**
 * The same call with the native loops — as the machine runs them (the AVX2 merge where the CPU has
 * AVX2) and as the baseline build (DELTASCOPE_DELTA_BASELINE), which must agree — and with the JS ones.
 */
function both<T>(run: () => T): { native: T; js: T } {
  expect(setNativeTies(true)).toBe(true);
  const native = run();
  process.env.DELTASCOPE_DELTA_BASELINE = '1';
  try {
    expect(run()).toEqual(native);
  } finally {
    delete process.env.DELTASCOPE_DELTA_BASELINE;
  }
  expect(setNativeTies(false)).toBe(false);
  try {
    return { native, js: run() };
  } finally {
    setNativeTies(true);
  }
}

describe.runIf(available || required)('native TIES kernels', () => {
  it('is built where CI requires it', () => {
    expect(available).toBe(true);
  });

  for (const density of [0.01, 0.2, 0.5, 0.97, 1]) {
    for (const count of [1, 2, 5, 9]) {
      it(`tiesMerge of ${count} deltas at density ${density}: the JS values bit for bit`, () => {
        const deltas = Array.from({ length: count }, (_, i) =>
          i % 2 === 1 ? sparse(5003, 17 * i + 3) : delta(5003, 17 * i + 3),
        );
        const copies = deltas.map((d) => d.slice());
        const { native, js } = both(() => bits(tiesMerge(deltas, { density, lambda: 0.7 })));
        expect(native).toEqual(js);
        expect(native.some((v) => v !== 0)).toBe(true);
        // the inputs are left as they were
        expect(deltas.map(bits)).toEqual(copies.map(bits));
      });
    }
  }

  it('the trim rule equals the streamed JS rule (threshold and tie budget), all-NaN and keep-all included', () => {
    const cases: [Float32Array, number][] = [
      [delta(7000, 5), 1],
      [delta(7000, 5), 700],
      [delta(7000, 6), 6900],
      [delta(7000, 6), 7000],
      [Float32Array.from([NaN, NaN, Infinity]), 1],
      [Float32Array.from([0, -0, 0, 1]), 2],
      [sparse(9000, 8), 1800],
      [sparse(9000, 8), 10],
      [new Float32Array(0), 0],
    ];
    for (const [d, keep] of cases) {
      const native = nativeTrimRule(d, keep)!;
      const js = streamedTrimRule((visit) => visit(d), keep);
      expect(native.threshold === js.threshold, `threshold of keep ${keep}`).toBe(true);
      expect(native.tieBudget).toBe(js.tieBudget);
    }
  });

  it('streamed trim rules of several deltas, chunk by chunk: the same with the native histograms as without', () => {
    const deltas = [delta(9000, 21), sparse(9000, 22), delta(9000, 23)];
    const chunked = (visit: (chunks: readonly Float32Array[]) => void) => {
      for (let start = 0; start < 9000; start += 1500)
        visit(deltas.map((d) => d.subarray(start, start + 1500)));
    };
    for (const keep of [1, 900, 8990, 9000]) {
      const { native, js } = both(() => streamedTrimRules(chunked, deltas.length, keep));
      expect(native).toEqual(js);
    }
  });

  it('tiesChunk over consecutive chunks: the same values and the same tie budgets left after each', () => {
    const deltas = [delta(3000, 1), delta(3000, 2), delta(3000, 3)];
    const keep = 600;
    const rules: TrimRule[] = deltas.map((d) => streamedTrimRule((visit) => visit(d), keep));
    expect(rules.some((r) => r.tieBudget > 0)).toBe(true);
    const { native, js } = both(() => {
      const left = rules.map((r) => r.tieBudget);
      const outs: number[][] = [];
      const budgets: number[][] = [];
      for (let start = 0; start < 3000; start += 701) {
        const part = deltas.map((d) => d.slice(start, start + 701));
        const out = new Float32Array(part[0]!.length);
        tiesChunk(part, rules, left, 1.3, out);
        outs.push(bits(out));
        budgets.push([...left]);
      }
      return { outs, budgets };
    });
    expect(native).toEqual(js);
  });

  it('combineArrays of two arrays (a delta, a merge into the base), in place too: the JS values bit for bit', () => {
    const x = delta(4099, 11);
    const y = delta(4099, 12);
    for (const [cx, cy] of [
      [1, -1],
      [1, 1],
      [0.7, -2.5],
      [-1e30, 3e-30],
    ] as const) {
      const { native, js } = both(() => {
        const inPlace = x.slice();
        combineArrays([cx, cy], [inPlace, y], inPlace);
        return [bits(combineArrays([cx, cy], [x, y])), bits(inPlace)];
      });
      expect(native).toEqual(js);
      expect(native[1]).toEqual(native[0]);
    }
  });

  it('refuses deltas of different lengths naming the delta', () => {
    const out = new Float32Array(4);
    expect(() =>
      tiesChunk(
        [new Float32Array(4), new Float32Array(3)],
        [
          { threshold: 0, tieBudget: 0 },
          { threshold: 0, tieBudget: 0 },
        ],
        [0, 0],
        1,
        out,
      ),
    ).toThrow(/deltas\[1\] must be a Float32Array of 4 elements/);
  });
});
