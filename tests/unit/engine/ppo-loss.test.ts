import { describe, expect, it } from 'vitest';
import { DEFAULT_PPO_CONFIG, ppoMinibatchLoss, type MinibatchData } from '../../../src-main/engine/ppo';
import { finiteDifference, fixture, relativeError } from './nn/reference-math';

/**
 * The host-side PPO loss and its gradient w.r.t. the heads' output, against (1) a direct transcription
 * of shared/bench/reference_ppo.py's loss in float64 and (2) finite differences of the loss value.
 */

const A = 4;
const N = 32;

function minibatch(seed: number, z: Float64Array): MinibatchData {
  const u = fixture(5 * N, seed);
  const actions = new Int32Array(N).map((_, i) => Math.floor(((u[i]! + 1) / 2) * A));
  const logProbs = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const row = z.subarray(i * (A + 1), i * (A + 1) + A);
    const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
    logProbs[i] = row[actions[i]!]! - lse + 0.6 * u[N + i]!; // old policy: up to ±0.6 nats away, so some ratios clip
  }
  return {
    actions,
    logProbs,
    advantages: Float32Array.from(u.subarray(2 * N, 3 * N), (x) => 2 * x),
    returns: Float32Array.from(u.subarray(3 * N, 4 * N)),
    values: Float32Array.from(u.subarray(4 * N, 5 * N), (x, i) => z[i * (A + 1) + A]! + 0.5 * x), // some values clip
  };
}

/** reference_ppo.py's loss, line by line. */
function referenceLoss(
  z: Float64Array,
  mb: MinibatchData,
  normAdv: boolean,
  clipVloss: boolean,
): { loss: number; kl: number } {
  const { clipCoef: c, entCoef, vfCoef } = DEFAULT_PPO_CONFIG;
  let adv = Array.from(mb.advantages);
  if (normAdv) {
    const mean = adv.reduce((s, x) => s + x, 0) / N;
    const std = Math.sqrt(adv.reduce((s, x) => s + (x - mean) ** 2, 0) / (N - 1));
    adv = adv.map((x) => (x - mean) / (std + 1e-8));
  }
  let pg = 0;
  let ent = 0;
  let vl = 0;
  let kl = 0;
  for (let i = 0; i < N; i++) {
    const logits = Array.from(z.subarray(i * (A + 1), i * (A + 1) + A));
    const lse = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
    const logp = logits.map((x) => x - lse);
    const logRatio = logp[mb.actions[i]!]! - mb.logProbs[i]!;
    const ratio = Math.exp(logRatio);
    pg += Math.max(-adv[i]! * ratio, -adv[i]! * Math.min(Math.max(ratio, 1 - c), 1 + c));
    ent += -logp.reduce((s, lp) => s + Math.exp(lp) * lp, 0);
    const v = z[i * (A + 1) + A]!;
    const vClip = mb.values[i]! + Math.min(Math.max(v - mb.values[i]!, -c), c);
    vl += clipVloss
      ? 0.5 * Math.max((v - mb.returns[i]!) ** 2, (vClip - mb.returns[i]!) ** 2)
      : 0.5 * (v - mb.returns[i]!) ** 2;
    kl += ratio - 1 - logRatio;
  }
  return { loss: pg / N - entCoef * (ent / N) + vfCoef * (vl / N), kl: kl / N };
}

describe('ppoMinibatchLoss', () => {
  for (const [normAdv, clipVloss] of [
    [true, true],
    [false, false],
  ] as const) {
    it(`matches the reference loss and finite differences (normAdv ${normAdv}, clipVloss ${clipVloss})`, () => {
      const z = fixture(N * (A + 1), 3).map((x) => 2 * x);
      const mb = minibatch(11, z);
      const config = { ...DEFAULT_PPO_CONFIG, normAdv, clipVloss };
      const dz = new Float64Array(z.length);
      const stats = ppoMinibatchLoss(z, A, mb, config, dz);
      const reference = referenceLoss(z, mb, normAdv, clipVloss);
      expect(stats.loss).toBeCloseTo(reference.loss, 10);
      expect(stats.approxKl).toBeCloseTo(reference.kl, 10);
      expect(stats.clipFraction).toBeGreaterThan(0); // the case exercises the clipped branch
      const numeric = finiteDifference(() => referenceLoss(z, mb, normAdv, clipVloss).loss, z);
      expect(relativeError(dz, numeric)).toBeLessThan(1e-6);
    });
  }

  it('rejects an output of the wrong size', () => {
    const mb = minibatch(1, new Float64Array(N * (A + 1)));
    expect(() =>
      ppoMinibatchLoss(new Float32Array(10), A, mb, DEFAULT_PPO_CONFIG, new Float32Array(10)),
    ).toThrow(/loss input z has 10 values; expected 32×5/);
  });
});
