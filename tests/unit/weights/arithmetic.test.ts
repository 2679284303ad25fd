import { describe, expect, it } from 'vitest';
import { ProvenanceSchema } from '../../../src-main/shared/domain';
import {
  addMaps,
  alphaGrid,
  arithmeticProvenance,
  linearCombination,
  linspace,
  subtractMaps,
} from '../../../src-main/weights/arithmetic';
import { parseFormula } from '../../../src-main/weights/formula';
import { randomDirectionLike } from '../../../src-main/weights/random-direction';
import { tensorMapFromTensors, type TensorMap } from '../../../src-main/weights/tensor-map';
import { arraysOf, expectError, mapOf, noise } from './helpers';

/** Multiples of 1/8 in [-4, 4]: every sum and difference below is exact in float32. */
const exactA = mapOf({
  w: [
    [2, 2],
    [1.5, -0.25, 3, 0],
  ],
  b: [[3], [-4, 0.125, 2]],
});
const exactB = mapOf({
  w: [
    [2, 2],
    [-2, 0.75, 3, 1],
  ],
  b: [[3], [0.5, 0.125, -3.875]],
});

const randomA = mapOf({ w: [[64, 32], [...noise(2048, 1)]], b: [[32], [...noise(32, 2)]] });
const randomB = mapOf({ w: [[64, 32], [...noise(2048, 3)]], b: [[32], [...noise(32, 4)]] });

function evaluate(
  formula: string,
  maps: Record<number, TensorMap>,
  scalars: Record<string, number> = {},
): TensorMap {
  const parsed = parseFormula(formula, { checkpoints: { A: 1, B: 2 }, scalars });
  return linearCombination(
    parsed.terms.map((t) => ({ coefficient: t.coefficient, map: maps[t.id]!, label: `#${t.id}` })),
  );
}

describe('checkpoint arithmetic', () => {
  it('A + (B − A) == B bit for bit when the values are exactly representable', () => {
    expect(arraysOf(addMaps(exactA, subtractMaps(exactB, exactA)))).toEqual(arraysOf(exactB));
  });

  it('A + (B − A) ≈ B within float32 rounding otherwise', () => {
    const roundTrip = addMaps(randomA, subtractMaps(randomB, randomA));
    for (const [name, tensor] of roundTrip) {
      const expected = randomB.get(name)!.data;
      tensor.data.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(2 ** -22));
    }
  });

  it('the formula A + (B − A) reduces to B itself, so even random values come back bit for bit', () => {
    expect(arraysOf(evaluate('A + (B - A)', { 1: randomA, 2: randomB }))).toEqual(arraysOf(randomB));
  });

  it('evaluates linear combinations by hand', () => {
    const result = evaluate('2*A - B', { 1: exactA, 2: exactB });
    expect([...result.get('w')!.data]).toEqual([5, -1.25, 3, -1]);
    const halfway = evaluate('A + 0.5*(B - A)', { 1: exactA, 2: exactB });
    expect([...halfway.get('b')!.data]).toEqual([-1.75, 0.125, -0.9375]);
  });

  it('refuses incompatible checkpoints', () => {
    const other = mapOf({ w: [[4], [0, 0, 0, 0]], b: [[3], [0, 0, 0]] });
    const error = expectError(
      () =>
        linearCombination([
          { coefficient: 1, map: exactA, label: 'checkpoint 12' },
          { coefficient: -1, map: other, label: 'checkpoint 31' },
        ]),
      'SHAPE_MISMATCH',
    );
    expect(error.message).toContain('tensor `w`: checkpoint 12 has [2,2], checkpoint 31 has [4]');
  });

  it('walks A − α(B − A) over a grid of α, hitting A and B exactly at α = 0 and α = −1', () => {
    const points = [...alphaGrid(randomA, randomB, [0, -1, 0.5])];
    expect(points.map((p) => p.alpha)).toEqual([0, -1, 0.5]);
    expect(arraysOf(points[0]!.map)).toEqual(arraysOf(randomA));
    expect(arraysOf(points[1]!.map)).toEqual(arraysOf(randomB));
    const [exactHalf] = [...alphaGrid(exactA, exactB, [0.5])];
    // 1.5·A − 0.5·B
    expect([...exactHalf!.map.get('w')!.data]).toEqual([3.25, -0.75, 3, -0.5]);
    expect(exactHalf!.formula).toBe('A - 0.5*(B - A)');
    expect(linspace(-1, 1, 5)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('builds a provenance record that the shared schema accepts', () => {
    const parsed = parseFormula('2*#12 - #31');
    const provenance = arithmeticProvenance({
      formula: parsed.formula,
      inputs: parsed.terms.map((t) => t.id),
      details: { terms: parsed.terms },
    });
    expect(ProvenanceSchema.parse(provenance)).toEqual({
      kind: 'arithmetic',
      description: 'computed as 2*#12 - #31',
      inputs: [12, 31],
      formula: '2*#12 - #31',
      details: {
        terms: [
          { id: 12, coefficient: 2 },
          { id: 31, coefficient: -1 },
        ],
      },
    });
  });
});

describe('random direction with the same per-tensor norms', () => {
  const delta = subtractMaps(randomB, randomA);
  const norm = (data: Float32Array): number => Math.sqrt(data.reduce((s, v) => s + v * v, 0));

  it('matches ‖Δ_t‖₂ tensor by tensor', () => {
    const random = randomDirectionLike(delta, 42);
    for (const [name, tensor] of random) {
      expect(tensor.shape).toEqual(delta.get(name)!.shape);
      expect(norm(tensor.data) / norm(delta.get(name)!.data)).toBeCloseTo(1, 6);
    }
  });

  it('is a different direction from Δ, reproducible from its seed, and independent of tensor order', () => {
    const random = randomDirectionLike(delta, 42);
    const w = random.get('w')!.data;
    const d = delta.get('w')!.data;
    const cosine = w.reduce((s, v, i) => s + v * d[i]!, 0) / (norm(w) * norm(d));
    expect(Math.abs(cosine)).toBeLessThan(0.1);
    expect(arraysOf(randomDirectionLike(delta, 42))).toEqual(arraysOf(random));
    expect(arraysOf(randomDirectionLike(delta, 43)).w).not.toEqual(arraysOf(random).w);
    const reversed = tensorMapFromTensors([...delta.values()].reverse());
    expect(arraysOf(randomDirectionLike(reversed, 42))).toEqual(arraysOf(random));
  });

  it('gives zeros for an unchanged tensor', () => {
    const random = randomDirectionLike(mapOf({ z: [[3], [0, 0, 0]] }), 1);
    expect([...random.get('z')!.data]).toEqual([0, 0, 0]);
  });
});
