import { describe, expect, it } from 'vitest';
import { derivedMap, movableSet, perTensorNorms } from '../../../src-main/protocol';
import type { TensorMap } from '../../../src-main/weights';
import { mapOf } from '../weights/helpers';

/** The step MA − derived = α·c of a control, per tensor. */
function step(base: TensorMap, derived: TensorMap, alpha: number): TensorMap {
  return new Map(
    [...base.values()].map((t) => [
      t.name,
      { ...t, data: Float32Array.from(t.data, (v, i) => (v - derived.get(t.name)!.data[i]!) / alpha) },
    ]),
  );
}

describe('negation controls, norm-matched per tensor', () => {
  // Δ(coin) moves tensor a a lot and b a little; the null drift and the other RB move them the other
  // way round; the last two entries of a never move in any fine-tune (dead inputs).
  const base = mapOf({ a: [[6], [0, 0, 0, 0, 1, 1]], b: [[2], [0, 0]] });
  const coin = mapOf({ a: [[6], [3, -4, 0, 0, 1, 1]], b: [[2], [0.1, 0]] });
  const nullRun = mapOf({ a: [[6], [0.01, 0, 0.02, 0, 1, 1]], b: [[2], [2, 1]] });
  const gem = mapOf({ a: [[6], [0, 0.5, 0.5, 0.5, 1, 1]], b: [[2], [5, 5]] });
  const deltaNorms = perTensorNorms(
    new Map([
      ['a', { name: 'a', shape: [6], data: Float32Array.from([3, -4, 0, 0, 0, 0]) }],
      ['b', { name: 'b', shape: [2], data: Float32Array.from([0.1, 0]) }],
    ]),
  );

  it('gives −Δ_null and −Δ_other the per-tensor norms of Δᵢ, not their own', () => {
    for (const [variant, reference] of [
      ['null', nullRun],
      ['other', gem],
    ] as const) {
      const c = step(base, derivedMap(base, coin, variant, 0.5, 1, { reference }), 0.5);
      for (const name of ['a', 'b'])
        expect(perTensorNorms(c).get(name)).toBeCloseTo(deltaNorms.get(name)!, 4);
      // Direction of the reference, not of Δᵢ: b of −Δ_other is along (5, 5).
      if (variant === 'other') expect(c.get('b')!.data[0]).toBeCloseTo(c.get('b')!.data[1]!, 6);
    }
  });

  it('draws the random direction on the movable parameters only, norm-matched per tensor', () => {
    const { movable } = movableSet(base, [coin, nullRun, gem]);
    const c = step(base, derivedMap(base, coin, 'random', 1, 11, { movable }), 1);
    for (const name of ['a', 'b']) expect(perTensorNorms(c).get(name)).toBeCloseTo(deltaNorms.get(name)!, 4);
    // The two dead entries of a get none of the norm (the old control spent it on every parameter).
    expect([...c.get('a')!.data.slice(4)]).toEqual([0, 0]);
    expect(
      c
        .get('a')!
        .data.slice(0, 4)
        .every((v) => v !== 0),
    ).toBe(true);
    // One direction per seed: another seed draws another direction of the same norms.
    const other = step(base, derivedMap(base, coin, 'random', 1, 12, { movable }), 1);
    expect(other.get('a')!.data[0]).not.toBeCloseTo(c.get('a')!.data[0]!, 4);
  });

  it('refuses a null/other control without the checkpoint whose delta it uses', () => {
    expect(() => derivedMap(base, coin, 'null', 1, 1)).toThrow(/null control/);
  });
});
