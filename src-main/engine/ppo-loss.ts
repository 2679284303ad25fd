import { DeltascopeError } from '../shared/errors';

/**
 * The PPO minibatch loss of shared/bench/reference_ppo.py and its gradient w.r.t. the heads' output,
 * computed on the host (256 rows: dozens of tiny tensor kernels would cost more than the arithmetic).
 * A minibatch may be split into row shards (data-parallel updates): each shard is given the whole
 * minibatch's advantage moments and row count, so its loss, gradient and statistics are its share of
 * the minibatch's means, and the shards' values add up to the whole minibatch's.
 */

/** The loss's hyper-parameters (fields of PpoConfig). */
export interface PpoLossConfig {
  clipCoef: number;
  clipVloss: boolean;
  normAdv: boolean;
  entCoef: number;
  vfCoef: number;
}

/** What a row shard needs to know of its whole minibatch. */
export interface MinibatchWhole {
  /** Rows of the whole minibatch (the divisor of every mean). */
  rows: number;
  /** Mean of the whole minibatch's advantages. */
  mean: number;
  /** Unbiased std of the whole minibatch's advantages, plus 1e-8. */
  std: number;
}

export interface MinibatchData {
  actions: Int32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  values: Float32Array;
}

export interface MinibatchStats {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
}

/** mean = Σa/n, std = √(Σ(a − mean)²/(n − 1)) + 1e-8 (unbiased, as torch; n − 1 floored at 1). */
export function advantageMoments(advantages: ArrayLike<number>): { mean: number; std: number } {
  const n = advantages.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += advantages[i]!;
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (advantages[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / Math.max(1, n - 1)) + 1e-8 };
}

function checkWhole(whole: MinibatchWhole | undefined, n: number): void {
  if (whole !== undefined && !(Number.isInteger(whole.rows) && whole.rows >= n && whole.std > 0)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `loss shard has ${n} rows but its whole minibatch has ${whole.rows} rows and advantage std ${whole.std}`,
    );
  }
}

/**
 * loss = mean(max(−A·r, −A·clip(r, 1±ε))) − c_ent·mean(H) + c_vf·0.5·mean(max((v−R)², (v_clip−R)²)),
 * r = exp(log π(a) − log π_old(a)), v_clip = v_old + clip(v − v_old, ±ε), A normalised per minibatch
 * (unbiased std, as torch; with `whole`, the whole minibatch's moments and row count). z holds rows [logits (numActions) | value]; dz receives dloss/dz, with
 * the subgradients torch takes at ties (max splits, clamp passes inside its closed range).
 */
export function ppoMinibatchLoss(
  z: ArrayLike<number>,
  numActions: number,
  mb: MinibatchData,
  config: PpoLossConfig,
  dz: { length: number; [index: number]: number },
  whole?: MinibatchWhole,
): MinibatchStats {
  const n = mb.actions.length;
  checkWhole(whole, n);
  const width = numActions + 1;
  if (z.length !== n * width || dz.length !== n * width) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `loss input z has ${z.length} values; expected ${n}×${width}`,
    );
  }
  const { clipCoef: eps, entCoef, vfCoef } = config;
  const moments = !config.normAdv ? { mean: 0, std: 1 } : (whole ?? advantageMoments(mb.advantages));
  const { mean, std } = moments;
  const rows = whole?.rows ?? n; // the divisor of every mean: the whole minibatch's row count
  let pgSum = 0;
  let vSum = 0;
  let entSum = 0;
  let klSum = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const row = i * width;
    let max = -Infinity;
    for (let j = 0; j < numActions; j++) max = Math.max(max, z[row + j]!);
    let sumExp = 0;
    for (let j = 0; j < numActions; j++) sumExp += Math.exp(z[row + j]! - max);
    const lse = max + Math.log(sumExp);
    let entropy = 0;
    for (let j = 0; j < numActions; j++) {
      const logp = z[row + j]! - lse;
      entropy -= Math.exp(logp) * logp;
    }
    const action = mb.actions[i]!;
    const logRatio = z[row + action]! - lse - mb.logProbs[i]!;
    const ratio = Math.exp(logRatio);
    const adv = config.normAdv ? (mb.advantages[i]! - mean) / std : mb.advantages[i]!;
    const pg1 = -adv * ratio;
    const pg2 = -adv * Math.min(Math.max(ratio, 1 - eps), 1 + eps);
    pgSum += Math.max(pg1, pg2);
    const dLogp = pg1 >= pg2 ? -adv * ratio : 0; // the clipped branch has zero slope outside [1−ε, 1+ε]
    for (let j = 0; j < numActions; j++) {
      const logp = z[row + j]! - lse;
      const p = Math.exp(logp);
      dz[row + j] = (dLogp * ((j === action ? 1 : 0) - p) + entCoef * p * (logp + entropy)) / rows;
    }
    entSum += entropy;
    klSum += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > eps) clipped += 1;

    const v = z[row + numActions]!;
    const ret = mb.returns[i]!;
    const unclipped = (v - ret) ** 2;
    let dv = v - ret;
    if (config.clipVloss) {
      const vOld = mb.values[i]!;
      const vClip = vOld + Math.min(Math.max(v - vOld, -eps), eps);
      const clippedLoss = (vClip - ret) ** 2;
      vSum += 0.5 * Math.max(unclipped, clippedLoss);
      if (unclipped < clippedLoss) dv = 0; // then v is outside the clip range: the clipped branch is flat
    } else {
      vSum += 0.5 * unclipped;
    }
    dz[row + numActions] = (vfCoef * dv) / rows;
  }
  const policyLoss = pgSum / rows;
  const valueLoss = vSum / rows;
  const entropy = entSum / rows;
  return {
    loss: policyLoss - entCoef * entropy + vfCoef * valueLoss,
    policyLoss,
    valueLoss,
    entropy,
    approxKl: klSum / rows,
    clipFraction: clipped / rows,
  };
}
