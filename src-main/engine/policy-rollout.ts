import * as tf from '@tensorflow/tfjs-core';
import type { PolicyMode } from '../shared/contract-evaluation';
import { DeltascopeError } from '../shared/errors';
import type { EpisodeRecord, StepResult } from './env-types';
import type { GridMazeEnv } from './gridmaze';
import { MOVES } from './gridmaze/state';
import type { PolicyNetwork } from './nn/network';
import { createRng, type Rng } from '../shared/random';

/**
 * Playing a fixed policy in a gridmaze VecEnv, for evaluation, recording and visitation heatmaps:
 * one forward pass for all active envs per step, a quota of episodes per env, per-env action streams.
 *
 * Held-out mazes: training envs are seeded with the run's seed (< 2^31, TrainingSpec.seed) or a 31-bit
 * seed derived from it; evaluation envs use env seed EVAL_SEED_OFFSET + seed with EVAL_SEED_OFFSET =
 * 2^48, so the evaluation seed stream is disjoint from every training seed by construction.
 */

export const EVAL_SEED_OFFSET = 2 ** 48;
/** Default parallel envs of evaluation and heatmaps (bigger batches amortise the per-pass cost). */
export const DEFAULT_EVAL_ENVS = 128;
/** First random-stream id of the per-env action samplers (env i uses stream EVAL_ACTION_STREAM + i). */
export const EVAL_ACTION_STREAM = 0x4556_0000;

/** Observation rows [batch × obsSize] → output rows [batch × (numActions + 1)]: the logits, then V(s). */
export type PolicyFn = (obs: Float32Array, batch: number) => Float32Array;

/** Env seed of the held-out maze stream `seed`: EVAL_SEED_OFFSET + seed. */
export function evaluationEnvSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= EVAL_SEED_OFFSET) {
    throw new DeltascopeError('INVALID_SPEC', `evaluation seed must be an integer in [0, 2^48); got ${seed}`);
  }
  return EVAL_SEED_OFFSET + seed;
}

/** The network's forward pass as a PolicyFn (tf.tidy around it; the output is copied to the host). */
export function networkPolicy(net: PolicyNetwork): PolicyFn {
  const [c, h, w] = net.spec.obsShape;
  const obsSize = c * h * w;
  return (obs, batch) => {
    const out = tf.tidy(() => net.forward(tf.tensor2d(obs.subarray(0, batch * obsSize), [batch, obsSize])));
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  };
}

/** π = softmax(z[offset … offset + A)): πⱼ = exp(zⱼ − max z) / Σₖ exp(zₖ − max z), written into `out`. */
export function softmaxInto(z: ArrayLike<number>, offset: number, A: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < A; j++) max = Math.max(max, z[offset + j] as number);
  if (!Number.isFinite(max)) {
    throw new DeltascopeError(
      'INTERNAL',
      `policy logits are not finite (max ${max}); the checkpoint may hold NaN/Inf`,
    );
  }
  let sum = 0;
  for (let j = 0; j < A; j++) {
    const e = Math.exp((z[offset + j] as number) - max);
    out[j] = e;
    sum += e;
  }
  for (let j = 0; j < A; j++) out[j] = (out[j] as number) / sum;
}

/** Greedy: argmax π (the first index on ties). Sampled: the first j with u < Σ_{k≤j} πₖ, u ~ U[0, 1). */
export function chooseAction(probs: Float64Array, A: number, mode: PolicyMode, rng: Rng | null): number {
  if (mode === 'greedy') {
    let best = 0;
    for (let j = 1; j < A; j++) if ((probs[j] as number) > (probs[best] as number)) best = j;
    return best;
  }
  if (rng === null) throw new DeltascopeError('INTERNAL', 'sampled policy without an action generator');
  const u = rng.float();
  let cumulative = 0;
  for (let j = 0; j < A; j++) {
    cumulative += probs[j] as number;
    if (u < cumulative) return j;
  }
  return A - 1;
}

/** The gridmaze move rule (gridmaze/state.ts): the cell after `action` from `cell`; a wall leaves it in place. */
export function moveAgent(walls: ArrayLike<number>, size: number, cell: number, action: number): number {
  const move = MOVES[action];
  if (move === undefined) throw new DeltascopeError('INVALID_SPEC', `action ${action} is not 0–3`);
  const target = cell + move[0] * size + move[1];
  return walls[target] === 0 ? target : cell;
}

export interface RolloutOptions {
  mode: PolicyMode;
  /** Seed of the per-env action streams (sampled mode). */
  actionSeed: number;
  /** Episodes to play per env; env i stops counting after quota[i] finished episodes. */
  quota: Int32Array;
}

export interface RolloutCallbacks {
  /** Env i starts its counted episode j (before its first decision); may replace the episode with env.setLayout. */
  onEpisodeStart?(i: number, j: number): void;
  /** Env i's decision this step: the action, π (length A, reused buffer) and V(s). */
  onDecision?(i: number, action: number, probs: Float64Array, value: number): void;
  /** After env.step; `active[i]` is 1 for envs whose step counted (valid until the next step). */
  onStep?(result: StepResult, active: Uint8Array): void;
  /** Env i finished its counted episode j. */
  onEpisode?(record: EpisodeRecord, j: number): void;
}

/** Envs' quotas for `episodes` episodes over `numEnvs` envs: env i plays ⌊M/N⌋ + [i < M mod N]. */
export function splitQuota(episodes: number, numEnvs: number): Int32Array {
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new DeltascopeError('INVALID_SPEC', `episodes must be a positive integer; got ${episodes}`);
  }
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new DeltascopeError('INVALID_SPEC', `numEnvs must be a positive integer; got ${numEnvs}`);
  }
  const base = Math.floor(episodes / numEnvs);
  const extra = episodes % numEnvs;
  return Int32Array.from({ length: numEnvs }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Plays `policy` until every env has finished its quota. Envs past their quota take action 0 and are
 * left out of the forward pass. Env i's episode j is a function of (env seed, i, j, action seed) only,
 * so a run is deterministic and the same episodes are played whatever the policy's speed.
 */
export function runEpisodes(
  env: GridMazeEnv,
  policy: PolicyFn,
  options: RolloutOptions,
  callbacks: RolloutCallbacks = {},
): void {
  const N = env.numEnvs;
  const A = env.numActions;
  const obsSize = env.obsSize;
  const width = A + 1;
  const { quota, mode } = options;
  if (quota.length !== N) {
    throw new DeltascopeError('SHAPE_MISMATCH', `quota has length ${quota.length}; expected numEnvs = ${N}`);
  }
  const rngs = Array.from({ length: N }, (_, i) =>
    mode === 'sampled' ? createRng(options.actionSeed, EVAL_ACTION_STREAM + i) : null,
  );
  const done = new Int32Array(N);
  const active = Uint8Array.from(quota, (q) => (q > 0 ? 1 : 0));
  const actions = new Int32Array(N);
  const rows = new Int32Array(N);
  const gathered = new Float32Array(N * obsSize);
  const probs = new Float64Array(A);
  for (let i = 0; i < N; i++) if (active[i] === 1) callbacks.onEpisodeStart?.(i, 0);
  let obs = env.observe();
  let remaining = active.reduce((a, b) => a + b, 0);
  while (remaining > 0) {
    let batch = 0;
    for (let i = 0; i < N; i++) if (active[i] === 1) rows[batch++] = i;
    let input = obs;
    if (batch < N) {
      for (let k = 0; k < batch; k++) {
        const i = rows[k] as number;
        gathered.set(obs.subarray(i * obsSize, (i + 1) * obsSize), k * obsSize);
      }
      input = gathered;
    }
    const z = policy(input, batch);
    if (z.length !== batch * width) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `policy output has ${z.length} values; expected batch ${batch} × (${A} logits + 1 value)`,
      );
    }
    actions.fill(0);
    for (let k = 0; k < batch; k++) {
      const i = rows[k] as number;
      softmaxInto(z, k * width, A, probs);
      const action = chooseAction(probs, A, mode, rngs[i] ?? null);
      actions[i] = action;
      callbacks.onDecision?.(i, action, probs, z[k * width + A] as number);
    }
    const result = env.step(actions);
    callbacks.onStep?.(result, active);
    let restarted = false;
    for (const record of result.episodes) {
      const i = record.envIndex;
      if (active[i] !== 1) continue;
      callbacks.onEpisode?.(record, done[i] as number);
      done[i] = (done[i] as number) + 1;
      if ((done[i] as number) >= (quota[i] as number)) {
        active[i] = 0;
        remaining -= 1;
      } else if (callbacks.onEpisodeStart !== undefined) {
        callbacks.onEpisodeStart(i, done[i] as number);
        restarted = true;
      }
    }
    obs = restarted ? env.observe() : result.obs;
  }
}
