import * as tf from '@tensorflow/tfjs-core';
import { DeltascopeError } from '../shared/errors';
import type { VecEnv } from './env-types';
import type { PolicyNetwork } from './nn/network';
import type { PpoLossConfig } from './ppo-loss';
import { shardGradients } from './ppo-shard';
import { createRng } from '../shared/random';

/**
 * The gradient of a reward's PPO objective at the network's current weights, measured over one batch of
 * rollouts (numEnvs × numSteps; actions sampled from the policy, advantages by GAE(λ) with the
 * network's own value head) — exactly the gradient PPO's first update on that reward would take, where
 * the ratio is 1 — and the diagonal Fisher of the policy, F_j = mean over sampled rows of
 * (∂ log π(a|s)/∂θ_j)², a ~ π. A parameter whose gradient is exactly 0 over the batch cannot be moved by
 * a fine-tune on that reward from here (e.g. first-layer rows of inputs that never vary).
 * An episode truncated inside the batch is treated as terminal (no value bootstrap): a probe, not training.
 */

export interface GradientProbeOptions {
  /** Environments whose train reward is the objective's. */
  env: VecEnv;
  network: PolicyNetwork;
  numSteps: number;
  gamma: number;
  gaeLambda: number;
  loss: PpoLossConfig;
  seed: number;
  /** Rows (of the batch) the Fisher is averaged over, evenly spaced; at most the batch. */
  fisherRows: number;
}

export interface GradientProbe {
  /** Parameter names in the network's order, with shapes. */
  params: { name: string; shape: number[] }[];
  /** ∂L_PPO/∂θ over the batch, per parameter. */
  gradient: Float32Array[];
  /** Diagonal Fisher of the policy, per parameter. */
  fisher: Float32Array[];
  rows: number;
  fisherRows: number;
  /** Episodes that finished during the rollout, and the train reward's mean return over them. */
  episodes: number;
  meanReturn: number | null;
}

const ACTION_STREAM = 0x6a7d_0000;

/** Samples a ~ softmax(row) with one uniform draw u; returns [a, log π(a)]. */
function sample(z: Float32Array, row: number, A: number, u: number): [number, number] {
  let max = -Infinity;
  for (let j = 0; j < A; j++) max = Math.max(max, z[row + j]!);
  let sum = 0;
  for (let j = 0; j < A; j++) sum += Math.exp(z[row + j]! - max);
  const target = u * sum;
  let cumulative = 0;
  let action = A - 1;
  for (let j = 0; j < A; j++) {
    cumulative += Math.exp(z[row + j]! - max);
    if (target < cumulative) {
      action = j;
      break;
    }
  }
  return [action, z[row + action]! - max - Math.log(sum)];
}

/**
 * log π(a) of a one-row [logits | value] output as one custom-gradient op (the network's layers carry
 * hand-written gradients; tfjs's own ops have none registered): ∂/∂logits = onehot(a) − softmax, ∂/∂value = 0.
 */
function logProbOf(z: tf.Tensor, action: number, A: number): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const out = args[0] as tf.Tensor2D;
    const row = out.dataSync() as Float32Array;
    let max = -Infinity;
    for (let j = 0; j < A; j++) max = Math.max(max, row[j]!);
    let sum = 0;
    for (let j = 0; j < A; j++) sum += Math.exp(row[j]! - max);
    const grad = new Float32Array(A + 1);
    for (let j = 0; j < A; j++) grad[j] = (j === action ? 1 : 0) - Math.exp(row[j]! - max) / sum;
    return {
      value: tf.scalar(row[action]! - max - Math.log(sum)),
      gradFunc: (dy: tf.Tensor) => [tf.mul(tf.tensor2d(grad, out.shape), dy)],
    };
  }) as (z: tf.Tensor) => tf.Scalar;
  return op(z);
}

export function probeObjectiveGradient(options: GradientProbeOptions): GradientProbe {
  const { env, network: net, numSteps: T } = options;
  const N = env.numEnvs;
  const A = env.numActions;
  const obsSize = env.obsSize;
  const [c, h, w] = net.spec.obsShape;
  if (c * h * w !== obsSize || net.spec.numActions !== A) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `gradient probe: the network expects obs ${c}×${h}×${w} and ${net.spec.numActions} actions; the env has ${obsSize} and ${A}`,
    );
  }
  if (!(T >= 1)) throw new DeltascopeError('INVALID_SPEC', `gradient probe: numSteps is ${T}`);
  const rows = N * T;
  const width = A + 1;
  const rng = createRng(options.seed, ACTION_STREAM);
  const bObs = new Float32Array(rows * obsSize);
  const actions = new Int32Array(rows);
  const logProbs = new Float32Array(rows);
  const values = new Float32Array(rows);
  const rewards = new Float32Array(rows);
  const dones = new Uint8Array(rows);
  const stepActions = new Int32Array(N);
  const forward = (obs: Float32Array, n: number): Float32Array =>
    tf.tidy(() => net.forward(tf.tensor2d(obs, [n, obsSize])).dataSync() as Float32Array).slice();
  let obs = env.reset().slice();
  let episodes = 0;
  let returnSum = 0;
  const trainName = env.rewardNames[env.trainRewardIndex]!;
  for (let t = 0; t < T; t++) {
    const base = t * N;
    bObs.set(obs, base * obsSize);
    const z = forward(obs, N);
    for (let i = 0; i < N; i++) {
      const [a, logp] = sample(z, i * width, A, rng.float());
      stepActions[i] = a;
      actions[base + i] = a;
      logProbs[base + i] = logp;
      values[base + i] = z[i * width + A]!;
    }
    const step = env.step(stepActions);
    for (let i = 0; i < N; i++) {
      rewards[base + i] = step.rewards[i]!;
      dones[base + i] = step.terminated[i]! | step.truncated[i]!;
    }
    for (const episode of step.episodes) {
      episodes += 1;
      returnSum += episode.returns[trainName] ?? 0;
    }
    obs = step.obs.slice();
  }
  const zNext = forward(obs, N);
  // GAE(λ): δ = r + γ(1−d)V' − V, A = δ + γλ(1−d)A'
  const advantages = new Float32Array(rows);
  const returns = new Float32Array(rows);
  const last = new Float64Array(N);
  for (let t = T - 1; t >= 0; t--) {
    for (let i = 0; i < N; i++) {
      const k = t * N + i;
      const vNext = t === T - 1 ? zNext[i * width + A]! : values[k + N]!;
      const notDone = 1 - dones[k]!;
      const delta = rewards[k]! + options.gamma * notDone * vNext - values[k]!;
      last[i] = delta + options.gamma * options.gaeLambda * notDone * last[i]!;
      advantages[k] = last[i]!;
      returns[k] = last[i]! + values[k]!;
    }
  }
  const { grads } = shardGradients(
    net,
    bObs,
    { actions, logProbs, advantages, returns, values },
    options.loss,
  );
  const gradient = grads.map((g) => g.slice());
  const fisher = net.params.map((p) => new Float32Array(p.variable.size));
  const fisherRows = Math.max(1, Math.min(rows, Math.floor(options.fisherRows)));
  const variables = net.params.map((p) => p.variable);
  for (let r = 0; r < fisherRows; r++) {
    const k = Math.floor((r * rows) / fisherRows);
    tf.tidy(() => {
      const x = tf.tensor2d(bObs.subarray(k * obsSize, (k + 1) * obsSize), [1, obsSize]);
      const { grads: byName } = tf.variableGrads(() => logProbOf(net.forward(x), actions[k]!, A), variables);
      variables.forEach((v, j) => {
        const g = byName[v.name]!.dataSync() as Float32Array;
        const f = fisher[j]!;
        for (let e = 0; e < f.length; e++) f[e] = f[e]! + (g[e]! * g[e]!) / fisherRows;
      });
    });
  }
  return {
    params: net.params.map((p) => ({ name: p.name, shape: [...p.variable.shape] })),
    gradient,
    fisher,
    rows,
    fisherRows,
    episodes,
    meanReturn: episodes === 0 ? null : returnSum / episodes,
  };
}
