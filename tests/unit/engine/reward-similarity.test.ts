import { describe, expect, it } from 'vitest';
import type { RewardSpec } from '../../../src-main/shared/reward';
import { createGridMaze, parseGridMazeConfig } from '../../../src-main/engine/gridmaze';
import { createGeometry } from '../../../src-main/engine/gridmaze/state';
import { createRng, deriveSeed } from '../../../src-main/shared/random';
import {
  canonicalRewards,
  pairReward,
  pearsonFloor,
  pearsonMatrix,
  rewardSimilarity,
  sampleTransitions,
  SPARSE_EVENT_RATE,
} from '../../../src-main/engine/reward-similarity';
import { addComponent, compileRewards } from '../../../src-main/engine/rewards';

const spec = (
  name: string,
  collect: Record<string, number>,
  stepCost = 0,
  reach: Record<string, number> = {},
): RewardSpec => ({
  name,
  collect,
  stepCost,
  reach,
});
const RA = spec('RA', { cheese: 1 });
const RB = spec('RB', { coin: 1 });

describe('rewardSimilarity: invariances', () => {
  const result = rewardSimilarity(
    { size: 7 },
    [RA, spec('2RA', { cheese: 2 }), spec('RA-cost', { cheese: 1 }, -0.05), spec('-RA', { cheese: -1 })],
    { transitions: 20000, seed: 1 },
  );

  it('returns plain data with the sample count', () => {
    expect(result.names).toEqual(['RA', '2RA', 'RA-cost', '-RA']);
    expect(result.samples).toBe(20000);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('identical, positively scaled and shifted rewards: Pearson 1, EPIC 0', () => {
    for (const b of [0, 1, 2]) {
      expect(result.pearson[0]![b]).toBeCloseTo(1, 9);
      expect(result.epic[0]![b]).toBeLessThan(1e-6);
    }
  });

  it('RA vs −RA: Pearson −1, EPIC 1', () => {
    expect(result.pearson[0]![3]).toBeCloseTo(-1, 9);
    expect(result.epic[0]![3]).toBeCloseTo(1, 9);
    expect(result.epic[3]![0]).toBeCloseTo(1, 9);
  });

  it('is seeded', () => {
    const again = rewardSimilarity({ size: 7 }, [RA, RB], { transitions: 3000, seed: 5 });
    expect(rewardSimilarity({ size: 7 }, [RA, RB], { transitions: 3000, seed: 5 })).toEqual(again);
    expect(rewardSimilarity({ size: 7 }, [RA, RB], { transitions: 3000, seed: 6 }).pearson).not.toEqual(
      again.pearson,
    );
  });

  it('a reward that never varies has no correlation (NaN)', () => {
    const flat = rewardSimilarity({ size: 7 }, [RA, spec('cost', {}, -1)], { transitions: 2000, seed: 1 });
    expect(flat.pearson[0]![1]).toBeNaN();
    expect(flat.epic[1]![1]).toBeNaN();
  });
});

describe('rewardSimilarity: rewards with a known correlation', () => {
  // Cheese and coin are collected on distinct steps (two objects never share a cell), so φ_c·φ_o = 0 on
  // every transition. With per-step rates p and q:
  //   ρ(φ_c, φ_o)       = −pq / sqrt(p(1−p)·q(1−q))
  //   ρ(φ_c, φ_c + φ_o) = (p(1−p) − pq) / sqrt(p(1−p)·(p+q)(1−p−q))
  // EPIC: within an episode the shaping terms of C(R_k) nearly cancel (γ P̂(cell_k) − P̂(cell_k) = O(1−γ)),
  // so C(R_k) ≈ (1 − P̂(cell_k))·φ_k and ρ(C(RA), C(RB)) ≈ ρ(RA, RB): D_EPIC ≈ sqrt((1 − ρ)/2).
  // Random policy, S=7, H=64: p ≈ q ≈ 0.43 / 64 ≈ 0.0067, so ρ(RA, RB) ≈ −0.0068, D ≈ 0.7095, and
  // ρ(RA, RA+RB) ≈ sqrt((1−2p) / (2(1−p))) ≈ 0.705, D ≈ 0.384.
  const config = parseGridMazeConfig({ size: 7 });
  const RAB = addComponent(RA, 'RAB', { collect: { coin: 1 } });
  const compiled = compileRewards([RA, RB, RAB], config);
  const geometry = createGeometry(config);
  const n = 40000;
  const sample = sampleTransitions(config, n, 11);
  const canon = sampleTransitions(config, n, 12);
  const { raw, canonical } = canonicalRewards(compiled, geometry.masks, geometry.cells, sample, canon, 0.99);
  const pearson = pearsonMatrix(raw, 3, n);
  const epic = pearsonMatrix(canonical, 3, n).map((row) => row.map((rho) => Math.sqrt((1 - rho) / 2)));
  let p = 0;
  let q = 0;
  let both = 0;
  for (let j = 0; j < n; j++) {
    p += raw[j]! / n;
    q += raw[n + j]! / n;
    both += raw[j]! * raw[n + j]!;
  }

  it('disjoint kinds (cheese vs coin): the exact formula for exclusive events, and EPIC ≈ 1/√2', () => {
    expect(both).toBe(0);
    // 40 000 transitions hold only ~640 episodes, so the rates are known to about ±6%.
    expect(Math.abs(p - 0.43 / 64)).toBeLessThan(0.0015);
    expect(Math.abs(q - 0.43 / 64)).toBeLessThan(0.0015);
    expect(pearson[0]![1]).toBeCloseTo(-Math.sqrt((p * q) / ((1 - p) * (1 - q))), 9);
    expect(epic[0]![1]).toBeCloseTo(Math.sqrt((1 - pearson[0]![1]!) / 2), 3);
    expect(epic[0]![1]).toBeCloseTo(0.7095, 2);
  });

  it('RA vs RA + coin: the exact formula, and EPIC ≈ 0.384', () => {
    const expected = (p * (1 - p) - p * q) / Math.sqrt(p * (1 - p) * (p + q) * (1 - p - q));
    expect(pearson[0]![2]).toBeCloseTo(expected, 9);
    expect(epic[0]![2]).toBeCloseTo(Math.sqrt((1 - expected) / 2), 2);
    expect(epic[0]![2]).toBeCloseTo(0.384, 1);
  });

  it('the top-level function agrees', () => {
    const result = rewardSimilarity({ size: 7 }, [RA, RB, RAB], { transitions: 40000, seed: 2 });
    expect(result.pearson[0]![1]).toBeCloseTo(-0.0068, 2);
    expect(Math.abs(result.epic[0]![1]! - 0.7095)).toBeLessThan(0.005);
    expect(Math.abs(result.pearson[0]![2]! - 0.705)).toBeLessThan(0.04);
    expect(Math.abs(result.epic[0]![2]! - 0.384)).toBeLessThan(0.03);
  });
});

describe('canonicalisation', () => {
  const config = parseGridMazeConfig({
    size: 7,
    terminateOn: 'any',
    horizon: 16,
    regions: [{ name: 'tr', corner: 'top-right', size: 3 }],
  });
  const rewards = [spec('RA', { cheese: 1 }, -0.1), spec('mix', { cheese: -1, coin: 2 }, 0.3, { tr: 0.7 })];
  const compiled = compileRewards(rewards, config);
  const geometry = createGeometry(config);

  it('equals the definition C(R)(s,s′) = R(s,s′) + E[γR(s′,S′) − R(s,S′) − γR(S,S′)] summed over all pairs', () => {
    const sample = sampleTransitions(config, 300, 1, 8);
    const canon = sampleTransitions(config, 200, 2, 8);
    const gamma = 0.9;
    const { canonical } = canonicalRewards(compiled, geometry.masks, geometry.cells, sample, canon, gamma);
    const R = (r: number, objects: Int32Array, reached: Uint8Array, index: number, cell: number): number =>
      pairReward(compiled, r, geometry.masks, geometry.cells, objects, reached, index, cell);
    const m = canon.count;
    for (let r = 0; r < 2; r++) {
      let mean = 0;
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++)
          mean += R(r, canon.objectsAfter, canon.reachedAfter, a, canon.agentAfter[b]!) / (m * m);
      }
      for (let j = 0; j < sample.count; j++) {
        let next = 0;
        let here = 0;
        for (let b = 0; b < m; b++) {
          next += R(r, sample.objectsAfter, sample.reachedAfter, j, canon.agentAfter[b]!) / m;
          here += R(r, sample.objectsBefore, sample.reachedBefore, j, canon.agentAfter[b]!) / m;
        }
        const direct = R(r, sample.objectsBefore, sample.reachedBefore, j, sample.agentAfter[j]!);
        expect(canonical[r * sample.count + j]).toBeCloseTo(direct + gamma * next - here - gamma * mean, 9);
      }
    }
  });

  it('on real transitions R(s, s′) is the environment’s reward', () => {
    const numEnvs = 8;
    const count = 4000;
    const seed = 21;
    const sample = sampleTransitions(config, count, seed, numEnvs);
    const { raw } = canonicalRewards(compiled, geometry.masks, geometry.cells, sample, sample, 0.99);
    const env = createGridMaze(config, rewards, { numEnvs, seed: deriveSeed(seed, 0) });
    const policy = createRng(seed, 1);
    const actions = new Int32Array(numEnvs);
    let fired = 0;
    for (let t = 0; t < count / numEnvs; t++) {
      for (let i = 0; i < numEnvs; i++) actions[i] = policy.int(4);
      const { allRewards } = env.step(actions);
      for (let r = 0; r < 2; r++) {
        for (let i = 0; i < numEnvs; i++) {
          expect(raw[r * count + t * numEnvs + i]).toBeCloseTo(allRewards[r * numEnvs + i]!, 6);
          if (r === 1 && Math.abs(allRewards[numEnvs + i]! - 0.3) > 1e-6) fired++;
        }
      }
    }
    expect(fired).toBeGreaterThan(100); // the comparison covered collections and region entries
  });
});

describe('pearsonMatrix', () => {
  it('checks its shape', () => {
    expect(() => pearsonMatrix(new Float64Array(5), 2, 3)).toThrow(/length 5; expected rows·n = 2·3/);
  });
});

describe('rewardSimilarity: event rates of sparse rewards', () => {
  it('records each reward’s event rate, and cheese vs coin sits at its floor −√(pq/((1−p)(1−q)))', () => {
    const result = rewardSimilarity({ size: 7 }, [RA, RB, spec('cost', {}, -1)], {
      transitions: 40000,
      seed: 2,
    });
    const [p, q, cost] = result.eventRates;
    expect(Math.abs(p! - 0.43 / 64)).toBeLessThan(0.0015);
    expect(Math.abs(q! - 0.43 / 64)).toBeLessThan(0.0015);
    expect(p).toBeLessThan(SPARSE_EVENT_RATE);
    // A constant step cost is not an event.
    expect(cost).toBe(0);
    expect(result.pearson[0]![1]).toBeCloseTo(pearsonFloor(p!, q!), 9);
  });

  it('the floor is −p/(1−p) for equal rates, 0 without events', () => {
    expect(pearsonFloor(0.01, 0.01)).toBeCloseTo(-0.01 / 0.99, 12);
    expect(pearsonFloor(0, 0.3)).toBe(0);
  });
});
