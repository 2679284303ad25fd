import { describe, expect, it } from 'vitest';
import { movableRandomDirection } from '../../../src-main/protocol/negation-controls';
import { createRng, deriveSeed, Rng, splitMix64, streamIdOf } from '../../../src-main/shared/random';
import { dareMerge } from '../../../src-main/weights/aggregate-dare';
import { randomTensorLike } from '../../../src-main/weights/random-direction';

// Reference outputs computed with the authors' C code (prng.di.unimi.it xoshiro128starstar.c and
// splitmix64.c) compiled with gcc: state {1, 2, 3, 4}, and SplitMix64 from x = 1234567.
const XOSHIRO_1234 = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849];
const SPLITMIX_1234567 = [6457827717110365317n, 3203168211198807973n, 9817491932198370423n];

describe('xoshiro128** and SplitMix64', () => {
  it('reproduce the reference C implementations bit for bit', () => {
    const rng = new Rng({ s: [1, 2, 3, 4] });
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual(XOSHIRO_1234);
    let state = 1234567n;
    for (const expected of SPLITMIX_1234567) {
      const { value, next } = splitMix64(state);
      expect(value).toBe(expected);
      state = next;
    }
  });

  it('gives the same sequence for the same seed and stream, different ones otherwise', () => {
    const draw = (rng: Rng): number[] => Array.from({ length: 16 }, () => rng.nextUint32());
    expect(draw(createRng(42))).toEqual(draw(createRng(42)));
    expect(draw(createRng(42, 3))).toEqual(draw(createRng(42, 3)));
    expect(draw(createRng(42))).not.toEqual(draw(createRng(43)));
    expect(draw(createRng(42, 0))).not.toEqual(draw(createRng(42, 1)));
    expect(deriveSeed(42, 7)).toBe(deriveSeed(42, 7));
    expect(deriveSeed(42, 7)).not.toBe(deriveSeed(42, 8));
    expect(Number.isSafeInteger(deriveSeed(42, 7))).toBe(true);
  });

  it('streams of one seed are uncorrelated', () => {
    const a = createRng(5, 0);
    const b = createRng(5, 1);
    const n = 20000;
    let sab = 0;
    for (let i = 0; i < n; i++) sab += (a.float() - 0.5) * (b.float() - 0.5);
    const rho = sab / n / (1 / 12);
    expect(Math.abs(rho)).toBeLessThan(4 / Math.sqrt(n));
  });
});

describe('Rng draws', () => {
  it('int(n) is uniform over [0, n) for a non-power-of-two n (chi-square)', () => {
    const rng = createRng(1);
    const n = 6;
    const draws = 60000;
    const counts = new Array<number>(n).fill(0);
    let outside = 0;
    for (let i = 0; i < draws; i++) {
      const x = rng.int(n);
      if (!(x >= 0 && x < n && Number.isInteger(x))) outside++;
      counts[x] = (counts[x] ?? 0) + 1;
    }
    expect(outside).toBe(0);
    const expected = draws / n;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(20.5); // df = 5, p = 0.001
  });

  it('int(n) handles the extremes and rejects bad n', () => {
    const rng = createRng(1);
    expect(rng.int(1)).toBe(0);
    const big = rng.int(4294967296);
    expect(big >= 0 && big < 4294967296).toBe(true);
    expect(() => rng.int(0)).toThrow(/integer n/);
    expect(() => rng.int(2.5)).toThrow(/integer n/);
  });

  it('float is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(2);
    const n = 100000;
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.float();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    expect(outside).toBe(0);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sq / n - mean * mean).toBeCloseTo(1 / 12, 3);
  });

  it('normal has mean 0, variance 1 and the normal tail mass', () => {
    const rng = createRng(3);
    const n = 100000;
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      sum += x;
      sq += x * x;
      if (Math.abs(x) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
  });

  it('shuffle permutes in place with every order equally likely', () => {
    const rng = createRng(4);
    const counts = new Map<string, number>();
    const trials = 30000;
    for (let t = 0; t < trials; t++) {
      const items = rng.shuffle([0, 1, 2]);
      const key = items.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const count of counts.values()) expect(Math.abs(count / trials - 1 / 6)).toBeLessThan(0.015);
    const typed = rng.shuffle(Int32Array.from([5, 6, 7, 8, 9]));
    expect(Array.from(typed).sort()).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('Rng state', () => {
  it('getState/setState resume the exact sequence, through JSON', () => {
    const rng = createRng(9);
    for (let i = 0; i < 10; i++) rng.nextUint32();
    const saved = JSON.parse(JSON.stringify(rng.getState())) as ReturnType<Rng['getState']>;
    const expected = [rng.nextUint32(), rng.float(), rng.int(7), rng.normal()];
    const resumed = createRng(0);
    resumed.setState(saved);
    expect([resumed.nextUint32(), resumed.float(), resumed.int(7), resumed.normal()]).toEqual(expected);
  });

  it('rejects malformed or all-zero states', () => {
    const rng = createRng(1);
    expect(() => rng.setState({ s: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => rng.setState({ s: [1, 2, 3] } as never)).toThrow(/four 32-bit/);
    expect(() => rng.setState({ s: [1, 2, 3, 2 ** 32] })).toThrow(/four 32-bit/);
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer/);
  });
});

describe('one generator for engine and weights', () => {
  const draw = (rng: Rng, n: number, how: 'float' | 'normal'): number[] =>
    Array.from({ length: n }, () => (how === 'float' ? rng.float() : rng.normal()));

  it('names streams by keys: stable, distinct per key and index, safe integers', () => {
    expect(streamIdOf('w', 0)).toBe(streamIdOf('w', 0));
    expect(streamIdOf('w', 0)).not.toBe(streamIdOf('w', 1));
    expect(streamIdOf('w', 0)).not.toBe(streamIdOf('v', 0));
    expect(streamIdOf('ab', 'c')).not.toBe(streamIdOf('a', 'bc'));
    expect(Number.isSafeInteger(streamIdOf('torso.dense1.kernel', 3))).toBe(true);
  });

  it('DARE masks are the stream (tensor, input) of the seed: kept iff float() ≥ p', () => {
    const n = 64;
    const delta = Float32Array.from({ length: n }, (_, j) => j + 1);
    const merged = dareMerge([delta], { dropProbability: 0.3, seed: 11 }, 'policy.kernel');
    const u = draw(createRng(11, streamIdOf('policy.kernel', 0)), n, 'float');
    const expected = u.map((x, j) => (x >= 0.3 ? Math.fround((j + 1) / 0.7) : 0));
    expect(Array.from(merged)).toEqual(expected);
  });

  it('a random direction (API and protocol control) is the normals of stream (tensor) of the seed, rescaled', () => {
    const n = 5000;
    const delta = new Float32Array(n).fill(0.01);
    const norm = Math.sqrt(n) * 0.01;
    const viaApi = randomTensorLike(delta, 20261206, 'value.kernel');
    const viaProtocol = movableRandomDirection(
      new Map([['value.kernel', { name: 'value.kernel', shape: [n], data: delta }]]),
      null,
      20261206,
    ).map.get('value.kernel')!.data;
    expect(Array.from(viaProtocol)).toEqual(Array.from(viaApi));
    const g = Float32Array.from(draw(createRng(20261206, streamIdOf('value.kernel')), n, 'normal'));
    const gNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < n; i += 97) expect(viaApi[i]).toBeCloseTo((g[i]! * norm) / gNorm, 6);
    // Standardised, its entries are N(0, 1): mean 0 and the normal tail mass beyond 2σ.
    const z = Array.from(viaApi, (x) => (x * Math.sqrt(n)) / norm);
    expect(Math.abs(z.reduce((s, x) => s + x, 0) / n)).toBeLessThan(0.06);
    expect(z.filter((x) => Math.abs(x) > 2).length / n).toBeCloseTo(0.0455, 1);
  });
});
