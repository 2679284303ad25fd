import { pooledEffect, type PoolingOptions } from '../engine/pooling';
import type { EvaluationResult } from '../shared/contract-evaluation';
import type { PooledNegationRow } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import type { DeriveVariant } from './job-graph';
import { collectIndicator, returnsOf } from './negation';

/**
 * The negation test's headline effects pooled across replications. Per replication, the effect of a
 * point (RBᵢ, variant, α) is the per-episode paired difference of the recovered derived checkpoint and
 * the replication's recovered MA (the control) on the shared held-out episodes; engine/pooling.ts pools
 * the replications (t-interval when R ≥ 5, else hierarchical bootstrap; "not replicated" when R < 3).
 */

export interface ReplicationNegationInput {
  seed: number;
  /** MA after the same recovery training (the control) of this replication. */
  control: EvaluationResult;
  points: { rb: string; variant: DeriveVariant; alpha: number; after: EvaluationResult }[];
}

export interface PooledNegationInput {
  raName: string;
  rbs: readonly { name: string; targetKind: string | null }[];
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

/** One pooled row per (RB, variant, α) present in any replication, in first-seen order. */
export function pooledNegation(input: PooledNegationInput): PooledNegationRow[] {
  const kinds = new Map(input.rbs.map((rb) => [rb.name, rb.targetKind]));
  const groups = new Map<
    string,
    { rb: string; variant: DeriveVariant; alpha: number; seeds: number[]; target: number[][]; ra: number[][] }
  >();
  for (const rep of input.replications) {
    for (const point of rep.points) {
      if (!kinds.has(point.rb))
        throw new DeltascopeError('INVALID_SPEC', `pooled negation: unknown RB "${point.rb}"`);
      const kind = kinds.get(point.rb) ?? null;
      const key = `${point.rb}|${point.variant}|${point.alpha}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { rb: point.rb, variant: point.variant, alpha: point.alpha, seeds: [], target: [], ra: [] };
        groups.set(key, group);
      }
      const where = `seed ${rep.seed}, ${key}`;
      group.seeds.push(rep.seed);
      group.ra.push(
        paired(returnsOf(point.after, input.raName), returnsOf(rep.control, input.raName), where),
      );
      if (kind !== null) {
        group.target.push(
          paired(collectIndicator(point.after, kind), collectIndicator(rep.control, kind), where),
        );
      }
    }
  }
  return [...groups.values()].map((g) => ({
    rb: g.rb,
    variant: g.variant,
    alpha: g.alpha,
    seeds: g.seeds,
    targetCollectVsControl: g.target.length === 0 ? null : pooledEffect(g.target, input.pooling),
    raReturnVsControl: pooledEffect(g.ra, input.pooling),
  }));
}
