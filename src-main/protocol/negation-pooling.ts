import { pooledEffect, type PoolingOptions } from '../engine/pooling';
import type { EvaluationResult } from '../shared/contract-evaluation';
import type { PooledEffect, PooledNegationRow } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import { collectIndicator, returnsOf } from './negation';

/**
 * The negation test's headline effects pooled across replications. Per replication, the effect of a
 * point (RBᵢ, method, α) is the per-episode paired difference of the recovered derived checkpoint and
 * the replication's recovered MA (the control) on the shared held-out episodes; engine/pooling.ts pools
 * the replications (t-interval when R ≥ 5, else hierarchical bootstrap; "not replicated" when R < 3).
 * Specificity: the same difference for P(collect) of every object kind and for RA success, and the
 * contrast target − mean(other kinds) per episode, so a general loss of competence (every object
 * collected less) is not read as a targeted lean. RA retention: success(arm) / success(control) per
 * replication, pooled over replications.
 */

export type NegationMethod = PooledNegationRow['variant'];

export interface ReplicationNegationInput {
  seed: number;
  /** MA after the same recovery training (the control) of this replication. */
  control: EvaluationResult;
  points: {
    rb: string;
    variant: NegationMethod;
    alpha: number;
    after: EvaluationResult;
    /** Recovery to criterion: steps trained and whether the criterion was reached before the cap. */
    recovery?: { steps: number; reachedCriterion: boolean };
  }[];
}

export interface PooledNegationInput {
  raName: string;
  rbs: readonly { name: string; targetKind: string | null }[];
  /** Every object kind of the env (specificity covers each); absent = no specificity. */
  kinds?: readonly string[];
  /** The kinds RA weights > 0 (its success: one of them collected); absent = no RA success or retention. */
  raKinds?: readonly string[];
  replications: readonly ReplicationNegationInput[];
  /** Resamples, confidence and the experiment seed the pooling draws from. */
  pooling: PoolingOptions;
}

function paired(x: readonly number[], y: readonly number[], where: string): number[] {
  if (x.length !== y.length) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `pooled negation, ${where}: ${x.length} vs ${y.length} episodes — evaluate both with the same episodes, seed and numEnvs`,
    );
  }
  return x.map((v, e) => v - y[e]!);
}

/** Per-episode success indicator of reward `name` (an object kind it weights > 0 was collected). */
export function successIndicator(result: EvaluationResult, ra: string, kinds: readonly string[]): number[] {
  const returns = returnsOf(result, ra);
  const collected = kinds.map((kind) => collectIndicator(result, kind));
  return returns.map((_, e) => (collected.some((c) => c[e] === 1) ? 1 : 0));
}

/** contrastₑ = dₑ(target) − mean over the other kinds k of dₑ(k): the targeted part of a change. */
export function specificityContrast(
  target: readonly number[],
  others: readonly (readonly number[])[],
): number[] {
  if (others.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'a contrast needs at least one other kind');
  return target.map((t, e) => t - others.reduce((sum, o) => sum + o[e]!, 0) / others.length);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Group {
  rb: string;
  variant: NegationMethod;
  alpha: number;
  seeds: number[];
  target: number[][];
  ra: number[][];
  raSuccess: number[][];
  perKind: Map<string, number[][]>;
  contrast: number[][];
  retention: number[][];
  steps: (number | null)[];
  anyRecovery: boolean;
}

/** One pooled row per (RB, method, α) present in any replication, in first-seen order. */
export function pooledNegation(input: PooledNegationInput): PooledNegationRow[] {
  const targets = new Map(input.rbs.map((rb) => [rb.name, rb.targetKind]));
  const kinds = input.kinds ?? [];
  const raKinds = input.raKinds ?? [];
  const groups = new Map<string, Group>();
  for (const rep of input.replications) {
    const controlKinds = new Map(kinds.map((k) => [k, collectIndicator(rep.control, k)]));
    const controlSuccess = raKinds.length === 0 ? null : successIndicator(rep.control, input.raName, raKinds);
    for (const point of rep.points) {
      if (!targets.has(point.rb))
        throw new DeltascopeError('INVALID_SPEC', `pooled negation: unknown RB "${point.rb}"`);
      const target = targets.get(point.rb) ?? null;
      const key = `${point.rb}|${point.variant}|${point.alpha}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = {
          rb: point.rb,
          variant: point.variant,
          alpha: point.alpha,
          seeds: [],
          target: [],
          ra: [],
          raSuccess: [],
          perKind: new Map(kinds.map((k) => [k, []])),
          contrast: [],
          retention: [],
          steps: [],
          anyRecovery: false,
        };
        groups.set(key, g);
      }
      const where = `seed ${rep.seed}, ${key}`;
      g.seeds.push(rep.seed);
      g.ra.push(paired(returnsOf(point.after, input.raName), returnsOf(rep.control, input.raName), where));
      const diffs = new Map(
        kinds.map((k) => [k, paired(collectIndicator(point.after, k), controlKinds.get(k)!, where)]),
      );
      for (const [k, d] of diffs) g.perKind.get(k)!.push(d);
      if (target !== null) {
        g.target.push(
          diffs.get(target) ??
            paired(collectIndicator(point.after, target), collectIndicator(rep.control, target), where),
        );
        const others = kinds.filter((k) => k !== target).map((k) => diffs.get(k)!);
        if (diffs.has(target) && others.length > 0)
          g.contrast.push(specificityContrast(diffs.get(target)!, others));
      }
      if (controlSuccess !== null) {
        const success = successIndicator(point.after, input.raName, raKinds);
        g.raSuccess.push(paired(success, controlSuccess, where));
        const c = mean(controlSuccess);
        if (c > 0) g.retention.push([mean(success) / c]);
      }
      g.anyRecovery ||= point.recovery !== undefined;
      g.steps.push(
        point.recovery === undefined || !point.recovery.reachedCriterion ? null : point.recovery.steps,
      );
    }
  }
  const pool = (xs: number[][]): PooledEffect => pooledEffect(xs, input.pooling);
  return [...groups.values()].map((g) => ({
    rb: g.rb,
    variant: g.variant,
    alpha: g.alpha,
    seeds: g.seeds,
    targetCollectVsControl: g.target.length === 0 ? null : pool(g.target),
    raReturnVsControl: pool(g.ra),
    ...(kinds.length === 0 || g.raSuccess.length === 0
      ? {}
      : {
          specificity: {
            perKind: kinds.map((kind) => ({ kind, effect: pool(g.perKind.get(kind)!) })),
            raSuccessVsControl: pool(g.raSuccess),
            contrast: g.contrast.length === g.seeds.length ? pool(g.contrast) : null,
          },
          raRetention: g.retention.length === g.seeds.length ? pool(g.retention) : null,
        }),
    ...(g.anyRecovery ? { stepsToCriterion: g.steps } : {}),
  }));
}
