import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregateDeltas, type AggregatorSpec } from '../../../src-main/weights/aggregate';
import { linearCombination, subtractMaps } from '../../../src-main/weights/arithmetic';
import { openSafetensorsSource } from '../../../src-main/weights/formats/safetensors-reader';
import { writeSafetensorsFolder } from '../../../src-main/weights/formats/safetensors-writer';
import { aggregatedSource } from '../../../src-main/weights/source-aggregate';
import { combinedSource } from '../../../src-main/weights/source-combine';
import { mapSource, sourceToMap, type TensorSource } from '../../../src-main/weights/tensor-source';
import type { TensorMap } from '../../../src-main/weights/tensor-map';
import { expectError, mapOf, noise } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'deltascope-source-aggregate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bit patterns of a map's values, by tensor: "the same values" means these are equal. */
function bitsOf(map: TensorMap): Record<string, number[]> {
  return Object.fromEntries(
    [...map.values()].map((t) => [t.name, [...new Uint32Array(Float32Array.from(t.data).buffer)]]),
  );
}

/** A model with rounded values (so ties at TIES' threshold happen), some NaN/∞, and a changed MLP. */
function model(seed: number): TensorMap {
  const values = (count: number, s: number) => {
    const v = noise(count, s);
    for (let i = 0; i < count; i++) v[i] = Math.round(v[i]! * 16) / 16;
    return [...v];
  };
  const embed = values(64 * 24, seed);
  if (seed === 3) {
    embed[5] = NaN;
    embed[77] = Infinity;
  }
  return mapOf({
    'model.embed_tokens.weight': [[64, 24], embed],
    'model.layers.0.mlp.up_proj.weight': [[40, 24], values(960, seed + 10)],
    'model.layers.0.input_layernorm.weight': [[24], values(24, seed + 20)],
  });
}

const base = model(1);
const tuned = [model(2), model(3), model(4)];
const nullRun = model(9);

function sources(): { base: TensorSource; deltas: TensorSource[]; nulls: TensorSource[] } {
  return {
    base: mapSource(base, 'base'),
    deltas: tuned.map((m, i) => mapSource(m, `tuned ${i}`)),
    nulls: [mapSource(nullRun, 'null')],
  };
}

/** The in-memory result every streamed one must equal. */
function expected(spec: AggregatorSpec, merge = false): TensorMap {
  const deltas = tuned.map((m) => subtractMaps(m, base));
  const { map } = aggregateDeltas(spec, deltas, {
    ...(spec.kind === 'null-normalized' ? { nullDeltas: [subtractMaps(nullRun, base)] } : {}),
  });
  return merge
    ? linearCombination([
        { coefficient: 1, map: base },
        { coefficient: 1, map },
      ])
    : map;
}

const SPECS: AggregatorSpec[] = [
  { kind: 'mean' },
  { kind: 'median' },
  { kind: 'mean-abs' },
  { kind: 'sign-agreement' },
  { kind: 'ties', density: 0.2, lambda: 0.7 },
  { kind: 'ties', density: 1 },
  { kind: 'dare', dropProbability: 0.3, seed: 5 },
  { kind: 'variance-ratio', groups: ['a', 'a', 'b'] },
  { kind: 'null-normalized' },
];

describe('aggregations over lazy sources', () => {
  it.each(SPECS)('$kind streamed in small chunks equals the in-memory aggregation bit for bit', (spec) => {
    const { base: b, deltas, nulls } = sources();
    // 3 KiB: a few hundred elements per chunk; TIES cannot hold the embedding whole and streams it.
    const budget = spec.kind === 'null-normalized' ? 1 << 20 : 3 * 1024;
    const source = aggregatedSource({ spec, base: b, deltas, nulls, memoryBudgetBytes: budget });
    if (spec.kind !== 'null-normalized') expect(source.chunkElements).toBeLessThan(64 * 24);
    expect(bitsOf(sourceToMap(source))).toEqual(bitsOf(expected(spec)));
    expect(source.peakBytesHeld()).toBeLessThanOrEqual(budget);
  });

  it('streamed TIES gives the same values when read out of order', () => {
    const spec: AggregatorSpec = { kind: 'ties', density: 0.3 };
    const { base: b, deltas } = sources();
    const source = aggregatedSource({ spec, base: b, deltas, memoryBudgetBytes: 2048 });
    const part = new Float32Array(300);
    source.read('model.embed_tokens.weight', 1000, part);
    const whole = expected(spec).get('model.embed_tokens.weight')!.data;
    expect([...part]).toEqual([...whole.subarray(1000, 1300)]);
    source.read('model.embed_tokens.weight', 10, part);
    expect([...part]).toEqual([...whole.subarray(10, 310)]);
  });

  it('merges into the base (θ_base + m) for TIES and DARE, and refuses to merge a relevance map', () => {
    for (const spec of [
      { kind: 'ties', density: 0.2 },
      { kind: 'dare', dropProbability: 0.5, seed: 1 },
    ] as const) {
      const { base: b, deltas } = sources();
      const merged = aggregatedSource({ spec, base: b, deltas, merge: true, memoryBudgetBytes: 4096 });
      expect(bitsOf(sourceToMap(merged))).toEqual(bitsOf(expected(spec, true)));
    }
    const { base: b, deltas } = sources();
    const error = expectError(
      () => aggregatedSource({ spec: { kind: 'sign-agreement' }, base: b, deltas, merge: true }),
      'INVALID_SPEC',
    );
    expect(error.message).toContain('sign-agreement gives a relevance map, not a weight update');
  });

  it('names the tensor null-normalized cannot hold within the budget', () => {
    const { base: b, deltas, nulls } = sources();
    const source = aggregatedSource({
      spec: { kind: 'null-normalized' },
      base: b,
      deltas,
      nulls,
      memoryBudgetBytes: 4096,
    });
    const error = expectError(() => sourceToMap(source), 'INVALID_SPEC');
    expect(error.message).toContain('null-normalized needs tensor `model.embed_tokens.weight` whole');
  });

  it('writes TIES of three folders many times larger than its budget as a sharded folder, within the budget', () => {
    const budget = 12 * 1024;
    const folder = (name: string, map: TensorMap) => {
      writeSafetensorsFolder(join(dir, name), mapSource(map, name), { maxShardBytes: 4000, dtype: 'BF16' });
      return openSafetensorsSource(join(dir, name));
    };
    const big = (seed: number) =>
      mapOf(
        Object.fromEntries(
          Array.from({ length: 6 }, (_, i) => [
            `model.layers.${i}.mlp.up_proj.weight`,
            [[64, 40], [...noise(2560, seed + i)]],
          ]),
        ) as Record<string, [number[], number[]]>,
      );
    const b = folder('ties-base', big(100));
    const deltas = [200, 300, 400].map((s) => folder(`ties-${s}`, big(s)));
    const folderBytes = b.tensors.reduce((sum, t) => sum + t.count * 2, 0);
    expect(4 * folderBytes).toBeGreaterThan(8 * budget);
    const spec: AggregatorSpec = { kind: 'ties', density: 0.2 };
    const merged = aggregatedSource({ spec, base: b, deltas, merge: true, memoryBudgetBytes: budget });
    const out = join(dir, 'ties-merged');
    writeSafetensorsFolder(out, merged, { maxShardBytes: 8000, chunkElements: merged.chunkElements });
    expect(merged.peakBytesHeld()).toBeLessThanOrEqual(budget);
    expect(merged.peakBytesHeld()).toBeGreaterThan(0);
    const written = openSafetensorsSource(out);
    expect(written.tensors.every((t) => t.dtype === 'BF16')).toBe(true);
    // The in-memory TIES of the BF16 values, merged into the base and rounded to BF16 as written.
    const inMemory = aggregatedSource({
      spec,
      base: mapSource(sourceToMap(b), 'b'),
      deltas: deltas.map((d) => mapSource(sourceToMap(d), d.label)),
      merge: true,
    });
    const roundTrip = join(dir, 'ties-in-memory');
    writeSafetensorsFolder(roundTrip, inMemory, { dtype: 'BF16' });
    expect(bitsOf(sourceToMap(written))).toEqual(bitsOf(sourceToMap(openSafetensorsSource(roundTrip))));
  });
});

describe('combinations over lazy sources', () => {
  it("computes 'A - 0.5*(B - A)' chunk by chunk exactly as linearCombination, within its budget", () => {
    const a = mapSource(base, 'A');
    const b = mapSource(tuned[0]!, 'B');
    const source = combinedSource(
      [
        { coefficient: 1.5, source: a },
        { coefficient: -0.5, source: b },
      ],
      { memoryBudgetBytes: 1024 },
    );
    const want = linearCombination([
      { coefficient: 1.5, map: base },
      { coefficient: -0.5, map: tuned[0]! },
    ]);
    expect(bitsOf(sourceToMap(source))).toEqual(bitsOf(want));
    expect(source.peakBytesHeld()).toBeLessThanOrEqual(1024);
    // 0·A + 1·B is B bit for bit, and A is never read.
    const onlyB = combinedSource([
      {
        coefficient: 0,
        source: {
          ...a,
          read: () => {
            throw new Error('A was read');
          },
        },
      },
      { coefficient: 1, source: b },
    ]);
    expect(bitsOf(sourceToMap(onlyB))).toEqual(bitsOf(tuned[0]!));
  });

  it('names the tensor whose shape differs between the inputs', () => {
    const other = mapOf({ 'model.embed_tokens.weight': [[24, 64], [...noise(24 * 64, 1)]] });
    const error = expectError(
      () =>
        combinedSource([
          { coefficient: 1, source: mapSource(base, 'base') },
          { coefficient: -1, source: mapSource(other, 'other') },
        ]),
      'SHAPE_MISMATCH',
    );
    expect(error.message).toContain(
      'tensor `model.embed_tokens.weight`: base has [64,24], other has [24,64]',
    );
  });
});
