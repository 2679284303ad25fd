import { DeltascopeError } from '../shared/errors';
import type { GridMazeConfig, GridMazeConfigInput } from '../shared/gridmaze-config';
import type { RewardSpec } from '../shared/reward';
import { parseGridMazeConfig } from './gridmaze/env';
import { advanceEnv, createGeometry, createState, resetEnv } from './gridmaze/state';
import { createRng, deriveSeed } from '../shared/random';
import { compileRewards, type CompiledRewards } from './rewards';

/**
 * How alike are the rewards of one gridmaze environment? Two matrices over transitions sampled with a
 * uniform-random policy: the Pearson correlation of the rewards, and the sample-based EPIC distance
 * (Gleave et al. 2020, "Quantifying Differences in Reward Functions", arXiv 2006.13900).
 *
 * R(s, a, s') for arbitrary pairs. Our rewards are functions of the event features of a transition. We
 * summarise a state by the agent's cell, the cells of the objects still present and the regions already
 * reached this episode, and define, for any two states s and s' (not necessarily a real transition, and
 * not necessarily of the same maze — cells are coordinates on the same S×S grid):
 *   φ_collect[k](s, s') = 1 if object k is present in s and the agent of s' stands on its cell,
 *   φ_reach[g](s, s')   = 1 if region g is not yet reached in s and the agent of s' is inside g,
 *   R(s, a, s') = stepCost + w·φ(s, s')   (the action does not enter).
 * On real transitions this is exactly the environment's reward.
 *
 * Canonicalisation (EPIC, eq. 4 of the paper), S, S' ~ D_S independent, A ~ D_A:
 *   C(R)(s, a, s') = R(s, a, s') + E[γ R(s', A, S') − R(s, A, S') − γ R(S, A, S')].
 * D_S is the empirical distribution of next states of a second, independent random-policy sample (as
 * the paper's sample-based EPIC draws states from a visitation distribution). Because R depends on S'
 * only through the agent's cell, E_{S'} R(x, A, S') = stepCost + Σ_k w_k [k present in x]·P̂(cell_k(x))
 * + Σ_g u_g [g not reached in x]·P̂(g), with P̂ the agent-cell histogram of D_S: the expectation over
 * the whole sample, exactly, in O(1) per state. E[R(S, A, S')] averages that over the states of D_S.
 * Every s' is treated as non-terminal, as in the paper's sample-based estimator.
 * Then D_EPIC(RA, RB) = sqrt((1 − ρ(C(RA), C(RB))) / 2), ρ the Pearson correlation over the transitions.
 * A reward that is constant on the sample has no correlation: its entries are NaN.
 */

export interface RewardSimilarityOptions {
  /** Transitions sampled for the correlations (default 20 000). */
  transitions?: number;
  /** States sampled for D_S in the canonicalisation (default: as many as transitions). */
  canonicalStates?: number;
  /** Discount γ of the canonicalisation (default 0.99, PPO's). */
  gamma?: number;
  seed?: number;
  /** Environments stepped in parallel while sampling (default 64). */
  numEnvs?: number;
}

export interface RewardSimilarity {
  names: string[];
  /** pearson[a][b] = ρ(RA, RB) over the sampled transitions. */
  pearson: number[][];
  /** epic[a][b] = D_EPIC(RA, RB) ∈ [0, 1]. */
  epic: number[][];
  /** eventRates[r] = share of the sampled transitions on which reward r differs from its step cost. */
  eventRates: number[];
  /** Transitions used for the correlations. */
  samples: number;
  /** States used for D_S. */
  canonicalStates: number;
  gamma: number;
}

/** Random-policy transitions as state summaries (env-independent cells; objects −1 once collected). */
export interface TransitionSample {
  count: number;
  kindCount: number;
  regionCount: number;
  /** Objects [count × K] and reached regions [count × G] of s. */
  objectsBefore: Int32Array;
  reachedBefore: Uint8Array;
  /** Agent cell [count], objects [count × K] and reached regions [count × G] of s' (before any auto-reset). */
  agentAfter: Int32Array;
  objectsAfter: Int32Array;
  reachedAfter: Uint8Array;
}

/** Samples `count` transitions of the env under a uniform-random policy (seeded, auto-reset as in the env). */
export function sampleTransitions(
  config: GridMazeConfig,
  count: number,
  seed: number,
  numEnvs = 64,
): TransitionSample {
  const K = config.kinds.length;
  const G = config.regions.length;
  const state = createState(config, numEnvs, deriveSeed(seed, 0));
  const geometry = createGeometry(config);
  const policy = createRng(seed, 1);
  const events = new Uint8Array(K + G);
  const sample: TransitionSample = {
    count,
    kindCount: K,
    regionCount: G,
    objectsBefore: new Int32Array(count * K),
    reachedBefore: new Uint8Array(count * G),
    agentAfter: new Int32Array(count),
    objectsAfter: new Int32Array(count * K),
    reachedAfter: new Uint8Array(count * G),
  };
  for (let i = 0; i < numEnvs; i++) resetEnv(state, geometry, config.loops, i);
  for (let j = 0; j < count;) {
    for (let i = 0; i < numEnvs && j < count; i++, j++) {
      sample.objectsBefore.set(state.objects.subarray(i * K, (i + 1) * K), j * K);
      sample.reachedBefore.set(state.reached.subarray(i * G, (i + 1) * G), j * G);
      const collected = advanceEnv(state, geometry, i, policy.int(4), events);
      sample.agentAfter[j] = state.agent[i] as number;
      sample.objectsAfter.set(state.objects.subarray(i * K, (i + 1) * K), j * K);
      sample.reachedAfter.set(state.reached.subarray(i * G, (i + 1) * G), j * G);
      const terminated = config.terminateOn === 'any' && collected;
      if (terminated || (state.step[i] as number) >= config.horizon)
        resetEnv(state, geometry, config.loops, i);
    }
  }
  return sample;
}

/** R(s, ·, s') of reward r for transition j: stepCost + Σ_k w_k [obj_k(s) = cell(s')] + Σ_g u_g [¬reached_g(s) ∧ cell(s') ∈ g]. */
export function pairReward(
  compiled: CompiledRewards,
  r: number,
  masks: Uint8Array,
  cells: number,
  objects: Int32Array,
  reached: Uint8Array,
  stateIndex: number,
  agentCell: number,
): number {
  const K = compiled.kindCount;
  const F = compiled.featureCount;
  const G = F - K;
  let value = compiled.stepCost[r] as number;
  for (let k = 0; k < K; k++) {
    if (objects[stateIndex * K + k] === agentCell) value += compiled.weights[r * F + k] as number;
  }
  for (let g = 0; g < G; g++) {
    if (reached[stateIndex * G + g] === 0 && masks[g * cells + agentCell] === 1) {
      value += compiled.weights[r * F + K + g] as number;
    }
  }
  return value;
}

/** E_{S'~D_S} R(x, ·, S') = stepCost + Σ_k w_k [k present in x]·P̂(cell_k(x)) + Σ_g u_g [¬reached_g(x)]·P̂(g). */
function expectedReward(
  compiled: CompiledRewards,
  r: number,
  cellProb: Float64Array,
  regionProb: Float64Array,
  objects: Int32Array,
  reached: Uint8Array,
  stateIndex: number,
): number {
  const K = compiled.kindCount;
  const F = compiled.featureCount;
  const G = F - K;
  let value = compiled.stepCost[r] as number;
  for (let k = 0; k < K; k++) {
    const at = objects[stateIndex * K + k] as number;
    if (at >= 0) value += (compiled.weights[r * F + k] as number) * (cellProb[at] as number);
  }
  for (let g = 0; g < G; g++) {
    if (reached[stateIndex * G + g] === 0)
      value += (compiled.weights[r * F + K + g] as number) * (regionProb[g] as number);
  }
  return value;
}

/**
 * Rewards and EPIC-canonicalised rewards of every reward on every transition, reward-major [R × count]:
 * C(R)(s, s') = R(s, s') + γ E R(s', S') − E R(s, S') − γ E R(S, S'), with S, S' over `canon`'s next states.
 */
export function canonicalRewards(
  compiled: CompiledRewards,
  masks: Uint8Array,
  cells: number,
  sample: TransitionSample,
  canon: TransitionSample,
  gamma: number,
): { raw: Float64Array; canonical: Float64Array } {
  const R = compiled.names.length;
  const G = sample.regionCount;
  const cellProb = new Float64Array(cells);
  for (let j = 0; j < canon.count; j++) {
    const cell = canon.agentAfter[j] as number;
    cellProb[cell] = (cellProb[cell] as number) + 1 / canon.count;
  }
  const regionProb = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let inside = 0;
    for (let cell = 0; cell < cells; cell++)
      if (masks[g * cells + cell] === 1) inside += cellProb[cell] as number;
    regionProb[g] = inside;
  }
  const raw = new Float64Array(R * sample.count);
  const canonical = new Float64Array(R * sample.count);
  for (let r = 0; r < R; r++) {
    let mean = 0;
    for (let j = 0; j < canon.count; j++) {
      mean += expectedReward(compiled, r, cellProb, regionProb, canon.objectsAfter, canon.reachedAfter, j);
    }
    mean /= canon.count;
    for (let j = 0; j < sample.count; j++) {
      const cell = sample.agentAfter[j] as number;
      const value = pairReward(
        compiled,
        r,
        masks,
        cells,
        sample.objectsBefore,
        sample.reachedBefore,
        j,
        cell,
      );
      const next = expectedReward(
        compiled,
        r,
        cellProb,
        regionProb,
        sample.objectsAfter,
        sample.reachedAfter,
        j,
      );
      const here = expectedReward(
        compiled,
        r,
        cellProb,
        regionProb,
        sample.objectsBefore,
        sample.reachedBefore,
        j,
      );
      raw[r * sample.count + j] = value;
      canonical[r * sample.count + j] = value + gamma * next - here - gamma * mean;
    }
  }
  return { raw, canonical };
}

/** ρ(x_a, x_b) = Σ(x_a − x̄_a)(x_b − x̄_b) / sqrt(Σ(x_a − x̄_a)² Σ(x_b − x̄_b)²) for rows a, b of a [rows × n] matrix; NaN if a row is constant. */
export function pearsonMatrix(values: Float64Array, rows: number, n: number): number[][] {
  if (values.length !== rows * n) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `values has length ${values.length}; expected rows·n = ${rows}·${n}`,
    );
  }
  const centred = new Float64Array(values.length);
  const norms = new Float64Array(rows);
  for (let a = 0; a < rows; a++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += values[a * n + j] as number;
    mean /= n;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const d = (values[a * n + j] as number) - mean;
      centred[a * n + j] = d;
      sq += d * d;
    }
    // A row whose spread is rounding noise around its mean is constant.
    norms[a] = sq > 1e-24 * n * Math.max(1, mean * mean) ? Math.sqrt(sq) : 0;
  }
  return Array.from({ length: rows }, (_, a) =>
    Array.from({ length: rows }, (_, b) => {
      const na = norms[a] as number;
      const nb = norms[b] as number;
      if (na === 0 || nb === 0) return Number.NaN;
      let dot = 0;
      for (let j = 0; j < n; j++) dot += (centred[a * n + j] as number) * (centred[b * n + j] as number);
      return Math.min(1, Math.max(-1, dot / (na * nb)));
    }),
  );
}

/**
 * A reward whose events fire on fewer than this share of random-policy transitions is sparse: its
 * Pearson ρ with another sparse reward is pinned near `pearsonFloor` whatever the rewards are (two
 * collect rewards on different objects, and two on objects the policy treats alike, both give ρ ≈ 0).
 */
export const SPARSE_EVENT_RATE = 0.05;

/**
 * ρ of two event indicators with rates p and q that never fire together: −√(pq / ((1 − p)(1 − q)))
 * (−p/(1 − p) when p = q). For sparse events it is ≈ 0, so "|ρ| small" says nothing.
 */
export function pearsonFloor(p: number, q: number): number {
  if (!(p > 0 && p < 1 && q > 0 && q < 1)) return 0;
  return -Math.sqrt((p * q) / ((1 - p) * (1 - q)));
}

/** Share of each reward's transitions whose reward differs from its step cost (an event fired). */
function eventRatesOf(raw: Float64Array, stepCost: ArrayLike<number>, rewards: number, n: number): number[] {
  return Array.from({ length: rewards }, (_, r) => {
    let events = 0;
    for (let j = 0; j < n; j++) if (raw[r * n + j] !== stepCost[r]) events++;
    return events / n;
  });
}

/** Pearson and EPIC matrices between `rewards` of the env `config`, from random-policy samples. */
export function rewardSimilarity(
  config: GridMazeConfigInput,
  rewards: readonly RewardSpec[],
  options: RewardSimilarityOptions = {},
): RewardSimilarity {
  const parsed = parseGridMazeConfig(config);
  const compiled = compileRewards(rewards, parsed);
  const count = options.transitions ?? 20_000;
  const canonicalStates = options.canonicalStates ?? count;
  const gamma = options.gamma ?? 0.99;
  const seed = options.seed ?? 0;
  for (const [name, value] of [
    ['transitions', count],
    ['canonicalStates', canonicalStates],
  ] as const) {
    if (!Number.isInteger(value) || value < 2) {
      throw new DeltascopeError('INVALID_SPEC', `${name} must be an integer ≥ 2; got ${value}`);
    }
  }
  if (!(gamma >= 0 && gamma <= 1))
    throw new DeltascopeError('INVALID_SPEC', `gamma must be in [0, 1]; got ${gamma}`);
  const geometry = createGeometry(parsed);
  const sample = sampleTransitions(parsed, count, deriveSeed(seed, 0), options.numEnvs);
  const canon = sampleTransitions(parsed, canonicalStates, deriveSeed(seed, 1), options.numEnvs);
  const { raw, canonical } = canonicalRewards(compiled, geometry.masks, geometry.cells, sample, canon, gamma);
  const R = compiled.names.length;
  const pearson = pearsonMatrix(raw, R, count);
  const epic = pearsonMatrix(canonical, R, count).map((row) => row.map((rho) => Math.sqrt((1 - rho) / 2)));
  const eventRates = eventRatesOf(raw, compiled.stepCost, R, count);
  return { names: [...compiled.names], pearson, epic, eventRates, samples: count, canonicalStates, gamma };
}
