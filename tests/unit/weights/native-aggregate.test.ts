import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { dareChunk, dareMerge, dareRngs } from '../../../src-main/weights/aggregate-dare';
import {
  meanAbsOfDeltas,
  meanOfDeltas,
  medianOfDeltas,
} from '../../../src-main/weights/aggregate-elementwise';
import type { AggregatorSpec } from '../../../src-main/weights/aggregate';
import { aggregatedSource } from '../../../src-main/weights/source-aggregate';
import { mapSource, sourceToMap, type TensorSource } from '../../../src-main/weights/tensor-source';
import { tensorMapFromTensors } from '../../../src-main/weights/tensor-map';
import {
  aggregateKernels,
  nativeAggregateAvailable,
  setNativeAggregate,
} from '../../../src-main/weights/native-aggregate';

/**
 * The elementwise aggregators' loops in C (native/blas/src/aggregate.c) against the JS loops on the
 * same deltas: values bit for bit (NaN as NaN), for odd and even numbers of
 * deltas, with NaN, ±∞, ±0, subnormals and many equal values; DARE's masks drawn in C from the same
 * xoshiro128** streams, run by run, with the streams left where the JS leaves them. The addon is
 * optional: without it these tests are skipped, except where CI requires it built.
 */

const available = nativeAggregateAvailable();
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';
afterAll(() => setNativeAggregate(true));
afterEach(() => vi.restoreAllMocks());

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** NaNs of both signs and several payloads (as raw float32 bits). */
const NAN_BITS = [0x7fc00000, 0xffc00000, 0x7fc00123, 0xffd00001, 0x7f800001];

function delta(count: number, seed: number): Float32Array {
  const random = lcg(seed);
  const values = new Float32Array(count);
  const bits = new Uint32Array(values.buffer);
  for (let j = 0; j < count; j++) {
    const pick = random();
    if (pick < 0.02) bits[j] = NAN_BITS[Math.floor(random() * NAN_BITS.length)]!;
    else if (pick < 0.03) values[j] = random() < 0.5 ? Infinity : -Infinity;
    else if (pick < 0.1) values[j] = random() < 0.5 ? 0 : -0;
    else if (pick < 0.12)
      values[j] = (random() - 0.5) * 2 ** -130; // subnormal
    else if (pick < 0.5)
      values[j] = Math.round((random() - 0.5) * 8) / 4; // equal values
    else values[j] = (random() - 0.5) * 0.1;
  }
  return values;
}

/**
 * The values' bit patterns, every NaN as 'NaN': which NaN comes out of a + b of two NaNs is V8's
 * choice, and V8 changes it as it optimises a function (the same JS call gives ffd00001 cold and
 * 7fc00001 hot), so only where the NaNs are is fixed.
 */
const bitsOf = (values: Float32Array) =>
  [...new Uint32Array(values.buffer, values.byteOffset, values.length)].map((u) =>
    (u & 0x7fffffff) > 0x7f800000 ? 'NaN' : u,
  );

/** The same call with the native loops and with the JS ones. */
function both<T>(run: () => T): { native: T; js: T } {
  expect(setNativeAggregate(true)).toBe(true);
  const native = run();
  expect(setNativeAggregate(false)).toBe(false);
  try {
    return { native, js: run() };
  } finally {
    setNativeAggregate(true);
  }
}

const SIZE = 5003;

describe.runIf(available || required)('native elementwise aggregators', () => {
  it('is built where CI requires it', () => {
    expect(available).toBe(true);
  });

  for (const count of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    const deltas = Array.from({ length: count }, (_, i) => delta(SIZE, 31 * i + 7));
    for (const [name, aggregate] of [
      ['mean', meanOfDeltas],
      ['mean-abs', meanAbsOfDeltas],
      ['median', medianOfDeltas],
    ] as const) {
      it(`${name} of ${count} deltas: the JS values bit for bit`, () => {
        const copies = deltas.map((d) => d.slice());
        const { native, js } = both(() => bitsOf(aggregate(deltas)));
        expect(native).toEqual(js);
        deltas.forEach((d, i) => expect(bitsOf(d)).toEqual(bitsOf(copies[i]!)));
      });
    }
  }

  it('median places ±0 and NaN where the JS insertion sort does', () => {
    const columns = [
      [0, -0],
      [-0, 0],
      [-0, 0, 0],
      [0, -0, -0],
      [NaN, 1, -1],
      [1, NaN, -1, 2],
      [-0, NaN, 0, -0],
      [Infinity, -Infinity, 0, -0],
    ];
    for (const column of columns) {
      const deltas = column.map((v) => Float32Array.of(v, -v));
      const { native, js } = both(() => bitsOf(medianOfDeltas(deltas)));
      expect(native, `median of [${column.map((v) => (Object.is(v, -0) ? '-0' : v)).join(', ')}]`).toEqual(
        js,
      );
    }
  });

  for (const count of [1, 2, 3, 5, 9]) {
    for (const p of [0, 0.25, 0.9]) {
      for (const combine of ['mean', 'sum'] as const) {
        it(`DARE of ${count} deltas at p = ${p} (${combine}), in runs: the JS values and streams`, () => {
          const deltas = Array.from({ length: count }, (_, i) => delta(SIZE, 13 * i + 5));
          const params = { dropProbability: p, seed: 42, combine };
          const { native, js } = both(() => {
            const rngs = dareRngs(params.seed, 'model.layers.0.mlp.up_proj.weight', count);
            // runs of uneven lengths, each continuing the streams where the last one left them
            const runs = [
              [0, 1],
              [1, 1000],
              [1000, 1001],
              [1001, SIZE],
            ].map(([from, to]) =>
              bitsOf(
                dareChunk(
                  deltas.map((d) => d.subarray(from, to)),
                  params,
                  rngs,
                ),
              ),
            );
            return { runs, states: rngs.map((r) => r.getState()), next: rngs.map((r) => r.nextUint32()) };
          });
          expect(native).toEqual(js);
          // and the runs together are the whole tensor's merge
          expect(native.runs.flat()).toEqual(
            bitsOf(dareMerge(deltas, params, 'model.layers.0.mlp.up_proj.weight')),
          );
        });
      }
    }
  }

  // A merge over sources: the kernels take the checkpoints and the base (θᵢ − θ_base formed as they
  // read, θ_base + m written), where the JS forms every delta first; chunks of a few hundred elements.
  const checkpoint = (seed: number): TensorSource =>
    mapSource(
      tensorMapFromTensors([
        { name: 'embed', shape: [37, 41], data: delta(37 * 41, seed) },
        { name: 'norm', shape: [17], data: delta(17, seed + 1) },
      ]),
      `checkpoint ${seed}`,
    );
  const specs: AggregatorSpec[] = [
    { kind: 'mean' },
    { kind: 'mean-abs' },
    { kind: 'median' },
    { kind: 'dare', dropProbability: 0.4, seed: 3 },
    { kind: 'dare', dropProbability: 0.1, seed: 9, combine: 'sum' },
  ];
  for (const spec of specs) {
    for (const count of [2, 3]) {
      for (const merge of spec.kind === 'mean-abs' ? [false] : [false, true]) {
        it(`${spec.kind}${spec.kind === 'dare' ? ` (${spec.combine ?? 'mean'})` : ''} of ${count} checkpoints over sources${merge ? ', merged into the base' : ''}: the JS values bit for bit`, () => {
          const { native, js } = both(() => {
            const source = aggregatedSource({
              spec,
              base: checkpoint(1),
              deltas: Array.from({ length: count }, (_, i) => checkpoint(10 * (i + 2))),
              merge,
              memoryBudgetBytes: 4096,
            });
            expect(source.chunkElements).toBeLessThan(37 * 41);
            return [...sourceToMap(source).values()].map((t) => bitsOf(Float32Array.from(t.data)));
          });
          expect(native).toEqual(js);
        });
      }
    }
  }

  it('DARE keeps exactly the entries whose JS draw is ≥ p', () => {
    const ones = new Float32Array(SIZE).fill(1);
    const params = { dropProbability: 0.5, seed: 7, combine: 'sum' as const };
    const [rng] = dareRngs(7, 'w', 1);
    const expected = Array.from({ length: SIZE }, () => (rng!.float() >= 0.5 ? 2 : 0));
    expect(setNativeAggregate(true)).toBe(true);
    expect([...dareMerge([ones], params, 'w')]).toEqual(expected);
  });

  it('the aggregators call the C kernels by default, and the JS loops when switched off', () => {
    const deltas = [delta(64, 1), delta(64, 2), delta(64, 3)];
    const kernels = aggregateKernels()!;
    const mean = vi.spyOn(kernels, 'aggregateMean');
    const median = vi.spyOn(kernels, 'aggregateMedian');
    const dare = vi.spyOn(kernels, 'dareChunk');
    meanOfDeltas(deltas);
    meanAbsOfDeltas(deltas);
    medianOfDeltas(deltas);
    dareMerge(deltas, { dropProbability: 0.3, seed: 1 }, 'w');
    expect([mean.mock.calls.length, median.mock.calls.length, dare.mock.calls.length]).toEqual([2, 1, 1]);
    setNativeAggregate(false);
    meanOfDeltas(deltas);
    medianOfDeltas(deltas);
    dareMerge(deltas, { dropProbability: 0.3, seed: 1 }, 'w');
    setNativeAggregate(true);
    expect([mean.mock.calls.length, median.mock.calls.length, dare.mock.calls.length]).toEqual([2, 1, 1]);
  });

  it('DELTASCOPE_NATIVE_AGGREGATE=off keeps the JS loops', () => {
    process.env.DELTASCOPE_NATIVE_AGGREGATE = 'off';
    try {
      expect(nativeAggregateAvailable()).toBe(false);
    } finally {
      delete process.env.DELTASCOPE_NATIVE_AGGREGATE;
    }
    expect(nativeAggregateAvailable()).toBe(true);
  });

  it('refuses deltas of another length than out with a RangeError naming the delta', () => {
    const kernels = aggregateKernels()!;
    expect(() =>
      kernels.aggregateMean(
        [new Float32Array(4), new Float32Array(3)],
        false,
        null,
        false,
        new Float32Array(4),
      ),
    ).toThrow(/deltas\[1\] must be a Float32Array of 4 elements/);
    expect(() =>
      kernels.dareChunk(
        [new Float32Array(4)],
        new Uint32Array(3),
        0.5,
        2,
        1,
        null,
        false,
        new Float32Array(4),
      ),
    ).toThrow(/4 words per delta/);
  });
});
