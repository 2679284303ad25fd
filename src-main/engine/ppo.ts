import * as tf from '@tensorflow/tfjs-core';
import { DeltascopeError } from '../shared/errors';
import { METRIC_KEYS, perRewardKey } from '../shared/metric-keys';
import type { EpisodeRecord, VecEnv } from './env-types';
import { MaskedAdam, type AdamState } from './nn/masked-adam';
import type { PolicyNetwork } from './nn/network';
import type { WeightTensor } from './nn/weights-io';
import { advantageMoments, ppoMinibatchLoss, type MinibatchData, type MinibatchStats } from './ppo-loss';
import { checkFiniteIteration } from './ppo-finite';
import { shardGradients } from './ppo-shard';
import { createUpdatePool, type UpdatePool } from './ppo-update-pool';
import { createRng, type RngState } from '../shared/random';
import { learningRateAt } from './lr-schedule';

/**
 * PPO with a clipped surrogate, GAE(λ) and a clipped value loss, in one file, CleanRL style; the
 * algorithm and defaults of shared/bench/reference_ppo.py. Reads top to bottom: config → derived
 * sizes → rollout (one forward pass for all envs per step, actions sampled on the host from the
 * softmax with a seeded PRNG) → GAE with truncations bootstrapped from V(final obs) → minibatch
 * updates. The loss and its gradient w.r.t. the heads' output [logits | value] are computed on the
 * host (256 rows: dozens of tiny tensor kernels would cost more than the arithmetic) and enter
 * autodiff as one custom-gradient op; the network and Adam do the rest.
 * Arrays named b… hold the whole batch (t-major: row t·numEnvs + i), mb… one minibatch.
 */

// ----------------------------------------------------------------------------- config
export interface PpoConfig {
  /** Parallel environments (the env passed in must have this many). */
  numEnvs: number;
  /** Rollout steps per environment per iteration. */
  numSteps: number;
  /** Env-step budget: sets the iteration count and the learning-rate annealing horizon. */
  totalTimesteps: number;
  /** Adam learning rate (the start value when annealed). */
  learningRate: number;
  /** Anneal the learning rate linearly to 0 over the run. */
  annealLr: boolean;
  /** Adam epsilon. */
  adamEps: number;
  /** Discount factor γ. */
  gamma: number;
  /** GAE λ. */
  gaeLambda: number;
  /** PPO epochs over each batch. */
  updateEpochs: number;
  /** Minibatches per epoch. */
  numMinibatches: number;
  /** Normalise advantages per minibatch (its mean and std). */
  normAdv: boolean;
  /** Ratio clip ε; also the value-clip range. */
  clipCoef: number;
  /** Use the clipped value loss. */
  clipVloss: boolean;
  /** Entropy bonus coefficient. */
  entCoef: number;
  /** Value loss coefficient. */
  vfCoef: number;
  /** Clip the global gradient norm to this. */
  maxGradNorm: number;
  /** Stop an update's epochs early once approx-KL exceeds this; null = never (the reference). */
  targetKl: number | null;
  /**
   * Iterations over which the learning rate ramps linearly from 5 % to the full (annealed) rate
   * (lr-schedule.ts); 0 = none (the reference). For runs that start from trained weights with a
   * fresh Adam; counted from the run's own first iteration, so a resumed run keeps its rates.
   */
  warmupIterations: number;
  /** Seed of the action-sampling and minibatch-shuffling streams. */
  seed: number;
  /** Finished episodes in the success-rate window of `charts/success`. */
  successWindow: number;
  /**
   * Threads computing each minibatch's gradient: 1 = this thread only; 2 = this thread and one
   * worker_thread with its own tfjs instance, each on half the rows (a different float summation
   * order than 1, so runs with 1 and 2 differ slightly; each is deterministic).
   */
  updateWorkers: number;
}

export const DEFAULT_PPO_CONFIG: PpoConfig = {
  numEnvs: 64,
  numSteps: 128,
  totalTimesteps: 3_000_000,
  learningRate: 2.5e-4,
  annealLr: true,
  adamEps: 1e-5,
  gamma: 0.99,
  gaeLambda: 0.95,
  updateEpochs: 4,
  numMinibatches: 32,
  normAdv: true,
  clipCoef: 0.2,
  clipVloss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  warmupIterations: 0,
  seed: 1,
  successWindow: 1000,
  updateWorkers: 1,
};

/** Random-stream ids (see shared/random deriveSeed64) of the trainer's two generators. */
const ACTION_STREAM = 0x5050;
const MINIBATCH_STREAM = 0x5051;

// ----------------------------------------------------------------------------- loss: ppo-loss.ts
export {
  advantageMoments,
  ppoMinibatchLoss,
  type MinibatchData,
  type MinibatchStats,
  type MinibatchWhole,
  type PpoLossConfig,
} from './ppo-loss';

// ----------------------------------------------------------------------------- trainer
export interface PpoTimings {
  rolloutMs: number;
  /** Part of rolloutMs spent inside env.step. */
  envMs: number;
  gaeMs: number;
  updateMs: number;
  iterationMs: number;
}

export interface PpoIteration {
  /** 1-based index of the iteration just run. */
  iteration: number;
  numIterations: number;
  /** Env steps taken so far. */
  globalStep: number;
  /** True after the last iteration of the budget. */
  done: boolean;
  /** Keys from shared/metric-keys (per-reward variants via perRewardKey). */
  metrics: Record<string, number>;
  /** Episodes that finished during this iteration's rollout. */
  episodes: EpisodeRecord[];
  timings: PpoTimings;
}

/** Everything needed to continue a run exactly (same backend ⇒ same final weights). */
export interface PpoState {
  iteration: number;
  globalStep: number;
  weights: WeightTensor[];
  optimizer: AdamState;
  rng: { actions: RngState; minibatches: RngState };
  env: unknown;
  nextObs: Float32Array;
  /** Per reward name, the 0/1 successes in the window, oldest first. */
  successes: Record<string, number[]>;
}

export interface PpoTrainer {
  readonly config: PpoConfig;
  readonly numIterations: number;
  readonly optimizer: MaskedAdam;
  /** One rollout + GAE + update. */
  iterate(): PpoIteration;
  state(): PpoState;
  restoreState(state: PpoState): void;
  /** Stops the update worker, if any (updateWorkers 2); the trainer cannot iterate afterwards. */
  dispose(): void;
}

export interface PpoTrainerOptions {
  env: VecEnv;
  network: PolicyNetwork;
  config?: Partial<PpoConfig>;
  /** Per-parameter element masks (1 train, 0 frozen) for sparse fine-tuning. */
  masks?: Record<string, Float32Array>;
}

function checkConfig(c: PpoConfig, env: VecEnv, net: PolicyNetwork): void {
  const fail = (msg: string): never => {
    throw new DeltascopeError('INVALID_SPEC', `PPO config: ${msg}`);
  };
  if (env.numEnvs !== c.numEnvs) fail(`numEnvs is ${c.numEnvs} but the environment has ${env.numEnvs}`);
  if (c.updateWorkers !== 1 && c.updateWorkers !== 2)
    fail(`updateWorkers is ${c.updateWorkers}; expected 1 or 2`);
  if (c.updateWorkers === 2 && (c.numEnvs * c.numSteps) / c.numMinibatches < 2) {
    fail('a minibatch of one row cannot be split between two update workers');
  }
  if (!Number.isInteger(c.warmupIterations) || c.warmupIterations < 0) {
    fail(`warmupIterations is ${c.warmupIterations}; expected a whole number ≥ 0`);
  }
  if ((c.numEnvs * c.numSteps) % c.numMinibatches !== 0) {
    fail(`batch ${c.numEnvs}×${c.numSteps} does not split into ${c.numMinibatches} minibatches`);
  }
  if (Math.floor(c.totalTimesteps / (c.numEnvs * c.numSteps)) < 1) {
    fail(`totalTimesteps ${c.totalTimesteps} is less than one batch (${c.numEnvs * c.numSteps})`);
  }
  const [ch, h, w] = net.spec.obsShape;
  if (ch * h * w !== env.obsSize || net.spec.numActions !== env.numActions) {
    fail(
      `network expects obs ${ch}×${h}×${w} and ${net.spec.numActions} actions; env has ${env.obsSize} and ${env.numActions}`,
    );
  }
}

/** A fixed-size window of the latest 0/1 outcomes. */
class Window {
  private readonly items: number[] = [];
  constructor(private readonly size: number) {}
  push(x: number): void {
    this.items.push(x);
    if (this.items.length > this.size) this.items.shift();
  }
  mean(): number | null {
    return this.items.length === 0 ? null : this.items.reduce((a, b) => a + b, 0) / this.items.length;
  }
  values(): number[] {
    return [...this.items];
  }
  load(values: readonly number[]): void {
    this.items.length = 0;
    values.slice(-this.size).forEach((x) => this.items.push(x));
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** 1 − Var(y − ŷ)/Var(y); NaN when Var(y) = 0. */
function explainedVariance(pred: Float32Array, target: Float32Array): number {
  let my = 0;
  let md = 0;
  for (let i = 0; i < target.length; i++) {
    my += target[i]!;
    md += target[i]! - pred[i]!;
  }
  my /= target.length;
  md /= target.length;
  let vy = 0;
  let vd = 0;
  for (let i = 0; i < target.length; i++) {
    vy += (target[i]! - my) ** 2;
    vd += (target[i]! - pred[i]! - md) ** 2;
  }
  return vy === 0 ? NaN : 1 - vd / vy;
}

export function createPpoTrainer(options: PpoTrainerOptions): PpoTrainer {
  const { env, network: net } = options;
  const config: PpoConfig = { ...DEFAULT_PPO_CONFIG, ...options.config };
  checkConfig(config, env, net);

  // ---- derived sizes, computed once
  const N = config.numEnvs;
  const T = config.numSteps;
  const batchSize = N * T;
  const minibatchSize = batchSize / config.numMinibatches;
  const numIterations = Math.floor(config.totalTimesteps / batchSize);
  const obsSize = env.obsSize;
  const A = env.numActions;
  const width = A + 1; // network output row: logits, then the value

  const optimizer = new MaskedAdam(net.params, {
    learningRate: config.learningRate,
    epsilon: config.adamEps,
    maxGradNorm: config.maxGradNorm,
  });
  for (const [name, mask] of Object.entries(options.masks ?? {})) optimizer.setMask(name, mask);
  const variables = net.params.map((p) => p.variable);
  const actionRng = createRng(config.seed, ACTION_STREAM);
  const minibatchRng = createRng(config.seed, MINIBATCH_STREAM);

  // ---- storage, allocated once
  const bObs = new Float32Array(batchSize * obsSize);
  const bActions = new Int32Array(batchSize);
  const bLogProbs = new Float32Array(batchSize);
  const bValues = new Float32Array(batchSize);
  const bRewards = new Float32Array(batchSize);
  const bDones = new Uint8Array(batchSize);
  const bBootstrap = new Float32Array(batchSize); // V(final obs) where the episode was truncated, else 0
  const bAdvantages = new Float32Array(batchSize);
  const bReturns = new Float32Array(batchSize);
  const nextObs = new Float32Array(N * obsSize);
  const finalObsRows = new Float32Array(N * obsSize);
  const truncatedEnvs = new Int32Array(N);
  const stepActions = new Int32Array(N);
  const lastGae = new Float64Array(N);
  const perm = new Int32Array(batchSize);
  const mbObs = new Float32Array(minibatchSize * obsSize);
  const mb: MinibatchData = {
    actions: new Int32Array(minibatchSize),
    logProbs: new Float32Array(minibatchSize),
    advantages: new Float32Array(minibatchSize),
    returns: new Float32Array(minibatchSize),
    values: new Float32Array(minibatchSize),
  };
  const dz = new Float32Array(minibatchSize * width);
  // data-parallel update: this thread takes the first hostRows rows of each minibatch, the worker the rest
  const hostRows = Math.ceil(minibatchSize / 2);
  const pool: UpdatePool | null =
    config.updateWorkers === 2 ? createUpdatePool(net, minibatchSize - hostRows, config) : null;
  const hostObs = mbObs.subarray(0, hostRows * obsSize);
  const hostMb: MinibatchData = {
    actions: mb.actions.subarray(0, hostRows),
    logProbs: mb.logProbs.subarray(0, hostRows),
    advantages: mb.advantages.subarray(0, hostRows),
    returns: mb.returns.subarray(0, hostRows),
    values: mb.values.subarray(0, hostRows),
  };
  const windows = new Map(env.rewardNames.map((name) => [name, new Window(config.successWindow)]));
  const trainRewardName = env.rewardNames[env.trainRewardIndex]!;

  let iteration = 0;
  let globalStep = 0;
  nextObs.set(env.reset());

  /** Network output rows [logits | value] for the first `rows` observations of `obs`. */
  function evaluate(obs: Float32Array, rows: number): Float32Array {
    const out = tf.tidy(() => net.forward(tf.tensor2d(obs.subarray(0, rows * obsSize), [rows, obsSize])));
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  }

  /** Samples a ~ softmax(logits) of row i with one uniform draw; returns log π(a). */
  function sampleAction(z: Float32Array, i: number, into: number): number {
    const row = i * width;
    let max = -Infinity;
    for (let j = 0; j < A; j++) max = Math.max(max, z[row + j]!);
    let sum = 0;
    for (let j = 0; j < A; j++) sum += Math.exp(z[row + j]! - max);
    const u = actionRng.float() * sum;
    let action = A - 1;
    let cumulative = 0;
    for (let j = 0; j < A; j++) {
      cumulative += Math.exp(z[row + j]! - max);
      if (u < cumulative) {
        action = j;
        break;
      }
    }
    stepActions[i] = action;
    bActions[into] = action;
    return z[row + action]! - max - Math.log(sum);
  }

  /** The loss as one autodiff op over the heads' output; its statistics land in `stats`. */
  function lossOp(stats: MinibatchStats[]): (z: tf.Tensor) => tf.Scalar {
    return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const z = args[0] as tf.Tensor2D;
      const s = ppoMinibatchLoss(z.dataSync() as Float32Array, A, mb, config, dz);
      stats.push(s);
      const grad = dz.slice(); // a copy: the cpu backend keeps the array it is given
      return {
        value: tf.scalar(s.loss),
        gradFunc: (dy: tf.Tensor) => [tf.mul(tf.tensor2d(grad, z.shape), dy)],
      };
    }) as (z: tf.Tensor) => tf.Scalar;
  }

  /** One Adam step from this thread's half and the worker's half of the minibatch gradient. */
  function dataParallelStep(updatePool: UpdatePool, lr: number): MinibatchStats {
    const moments = config.normAdv ? advantageMoments(mb.advantages) : { mean: 0, std: 1 };
    const whole = { rows: minibatchSize, ...moments };
    updatePool.startShard(mbObs, mb, hostRows, minibatchSize - hostRows, whole);
    const own = shardGradients(net, hostObs, hostMb, config, whole);
    const theirs = updatePool.finishShard();
    own.grads.forEach((g, k) => {
      const other = theirs.grads[k]!;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! + other[i]!;
    });
    optimizer.stepArrays(own.grads, lr);
    updatePool.setWeights(optimizer.stepValues);
    const s = own.stats;
    const t = theirs.stats;
    return {
      loss: s.loss + t.loss,
      policyLoss: s.policyLoss + t.policyLoss,
      valueLoss: s.valueLoss + t.valueLoss,
      entropy: s.entropy + t.entropy,
      approxKl: s.approxKl + t.approxKl,
      clipFraction: s.clipFraction + t.clipFraction,
    };
  }

  let disposed = false;

  function iterate(): PpoIteration {
    if (disposed)
      throw new DeltascopeError(
        'TRAINER_DISPOSED',
        'the PPO trainer was disposed; create a new trainer (or resume from a checkpoint) to train further',
      );
    if (iteration >= numIterations) {
      throw new DeltascopeError('INVALID_SPEC', `the run has finished its ${numIterations} iterations`);
    }
    iteration += 1;
    const lr = learningRateAt(iteration, numIterations, config);
    const t0 = performance.now();

    // ---- rollout
    let envMs = 0;
    const episodes: EpisodeRecord[] = [];
    bBootstrap.fill(0);
    for (let t = 0; t < T; t++) {
      const base = t * N;
      bObs.set(nextObs, base * obsSize);
      const z = evaluate(nextObs, N);
      for (let i = 0; i < N; i++) {
        bLogProbs[base + i] = sampleAction(z, i, base + i);
        bValues[base + i] = z[i * width + A]!;
      }
      const e0 = performance.now();
      const step = env.step(stepActions);
      envMs += performance.now() - e0;
      let truncatedCount = 0;
      for (let i = 0; i < N; i++) {
        bRewards[base + i] = step.rewards[i]!;
        bDones[base + i] = step.terminated[i]! | step.truncated[i]!;
        if (step.truncated[i]) {
          finalObsRows.set(step.finalObs.subarray(i * obsSize, (i + 1) * obsSize), truncatedCount * obsSize);
          truncatedEnvs[truncatedCount++] = i;
        }
      }
      if (truncatedCount > 0) {
        // bootstrap a truncated episode from the value of its real final state
        const zFinal = evaluate(finalObsRows, truncatedCount);
        for (let k = 0; k < truncatedCount; k++)
          bBootstrap[base + truncatedEnvs[k]!] = zFinal[k * width + A]!;
      }
      nextObs.set(step.obs);
      for (const episode of step.episodes) {
        episodes.push(episode);
        for (const [name, window] of windows) window.push(episode.success[name] ? 1 : 0);
      }
    }
    const zNext = evaluate(nextObs, N);
    globalStep += batchSize;
    const t1 = performance.now();

    // ---- GAE(λ): δ_t = r_t + γ((1−d_t)V(s_t+1) + boot_t) − V(s_t), A_t = δ_t + γλ(1−d_t)A_t+1
    lastGae.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < N; i++) {
        const k = t * N + i;
        const vNext = t === T - 1 ? zNext[i * width + A]! : bValues[k + N]!;
        const notDone = 1 - bDones[k]!;
        const delta = bRewards[k]! + config.gamma * (notDone * vNext + bBootstrap[k]!) - bValues[k]!;
        lastGae[i] = delta + config.gamma * config.gaeLambda * notDone * lastGae[i]!;
        bAdvantages[k] = lastGae[i]!;
        bReturns[k] = lastGae[i]! + bValues[k]!;
      }
    }
    const t2 = performance.now();

    // ---- update: epochs × minibatches of a fresh permutation
    const stats: MinibatchStats[] = [];
    const loss = lossOp(stats);
    pool?.setWeights(variables.map((v) => v.dataSync() as Float32Array));
    for (let epoch = 0; epoch < config.updateEpochs; epoch++) {
      for (let i = 0; i < batchSize; i++) perm[i] = i;
      minibatchRng.shuffle(perm);
      for (let start = 0; start < batchSize; start += minibatchSize) {
        for (let r = 0; r < minibatchSize; r++) {
          const k = perm[start + r]!;
          mbObs.set(bObs.subarray(k * obsSize, (k + 1) * obsSize), r * obsSize);
          mb.actions[r] = bActions[k]!;
          mb.logProbs[r] = bLogProbs[k]!;
          mb.advantages[r] = bAdvantages[k]!;
          mb.returns[r] = bReturns[k]!;
          mb.values[r] = bValues[k]!;
        }
        if (pool !== null) {
          stats.push(dataParallelStep(pool, lr));
          continue;
        }
        tf.tidy(() => {
          const x = tf.tensor2d(mbObs, [minibatchSize, obsSize]);
          const { grads } = tf.variableGrads(() => loss(net.forward(x)), variables);
          optimizer.step(
            variables.map((v) => grads[v.name]!),
            lr,
          );
        });
      }
      if (config.targetKl !== null && stats[stats.length - 1]!.approxKl > config.targetKl) break;
    }
    const t3 = performance.now();
    checkFiniteIteration({
      iteration,
      globalStep,
      rewards: bRewards,
      returns: bReturns,
      stats,
      params: net.params.map((p) => ({ name: p.name, values: p.variable.dataSync() as Float32Array })),
      config,
    });

    // ---- metrics
    const metrics: Record<string, number> = {
      [METRIC_KEYS.learningRate]: lr,
      [METRIC_KEYS.stepsPerSecond]: batchSize / ((t3 - t0) / 1000),
      [METRIC_KEYS.policyLoss]: mean(stats.map((s) => s.policyLoss)),
      [METRIC_KEYS.valueLoss]: mean(stats.map((s) => s.valueLoss)),
      [METRIC_KEYS.entropy]: mean(stats.map((s) => s.entropy)),
      [METRIC_KEYS.approxKl]: mean(stats.map((s) => s.approxKl)),
      [METRIC_KEYS.clipFraction]: mean(stats.map((s) => s.clipFraction)),
    };
    const ev = explainedVariance(bValues, bReturns);
    if (!Number.isNaN(ev)) metrics[METRIC_KEYS.explainedVariance] = ev;
    if (episodes.length > 0) {
      metrics[METRIC_KEYS.episodicReturn] = mean(episodes.map((e) => e.returns[trainRewardName] ?? 0));
      metrics[METRIC_KEYS.episodicLength] = mean(episodes.map((e) => e.length));
      for (const name of env.rewardNames) {
        metrics[perRewardKey(METRIC_KEYS.episodicReturn, name)] = mean(
          episodes.map((e) => e.returns[name] ?? 0),
        );
      }
    }
    for (const [name, window] of windows) {
      const rate = window.mean();
      if (rate === null) continue;
      metrics[perRewardKey(METRIC_KEYS.success, name)] = rate;
      if (name === trainRewardName) metrics[METRIC_KEYS.success] = rate;
    }
    return {
      iteration,
      numIterations,
      globalStep,
      done: iteration >= numIterations,
      metrics,
      episodes,
      timings: { rolloutMs: t1 - t0, envMs, gaeMs: t2 - t1, updateMs: t3 - t2, iterationMs: t3 - t0 },
    };
  }

  function state(): PpoState {
    return {
      iteration,
      globalStep,
      weights: net.exportWeights(),
      optimizer: optimizer.exportState(),
      rng: { actions: actionRng.getState(), minibatches: minibatchRng.getState() },
      env: env.snapshot(),
      nextObs: nextObs.slice(),
      successes: Object.fromEntries([...windows].map(([name, w]) => [name, w.values()])),
    };
  }

  function restoreState(s: PpoState): void {
    if (s.nextObs.length !== nextObs.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `PPO state has ${s.nextObs.length} observation values; this run needs ${nextObs.length}`,
      );
    }
    net.importWeights(s.weights);
    optimizer.importState(s.optimizer);
    actionRng.setState(s.rng.actions);
    minibatchRng.setState(s.rng.minibatches);
    env.restore(s.env);
    nextObs.set(s.nextObs);
    for (const [name, window] of windows) window.load(s.successes[name] ?? []);
    iteration = s.iteration;
    globalStep = s.globalStep;
  }

  return {
    config,
    numIterations,
    optimizer,
    iterate,
    state,
    restoreState,
    dispose: () => {
      disposed = true;
      pool?.dispose();
    },
  };
}
