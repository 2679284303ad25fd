import { bootstrapMeanCi, wilsonInterval, type Interval } from '../engine/stats';
import type { EvaluationResult } from '../shared/contract-evaluation';
import type { NegationTableData, RecoveryRecord } from '../shared/contract-protocol';
import { NEGATION_FORMAT } from '../shared/protocol-artifacts';
import { DeltascopeError } from '../shared/errors';

/**
 * The negation test of one replication: for each RBᵢ, variant (MA − α·Δᵢ, MA + α·Δᵢ, MA − α·rᵢ) and α,
 * P(collect RBᵢ's object) and the RA return before and after recovery on RA, and paired differences
 * against the random-direction control at the same α and against MA recovered the same way (the
 * control). Evaluations share the held-out mazes (same seed and numEnvs), so differences are taken
 * per episode and bootstrapped: CI of mean(xₑ − yₑ).
 */

export { NEGATION_FORMAT };

export interface NegationPointInput {
  rb: string;
  /** A derive variant, or 'positive' (the positive control, alpha 1). */
  variant: NegationRow['variant'];
  alpha: number;
  checkpointId: number;
  before: EvaluationResult;
  recoveredCheckpointId: number;
  after: EvaluationResult;
  /** Recovery to criterion: steps, whether it reached the criterion, and its curve. */
  recovery?: RecoveryRecord;
}

export interface NegationInput {
  seed: number;
  raName: string;
  rbs: { name: string; targetKind: string | null }[];
  /** MA and MA after the same recovery training (the control). */
  base: { checkpointId: number; result: EvaluationResult };
  control: { checkpointId: number; result: EvaluationResult };
  finetuned: { rb: string; checkpointId: number; result: EvaluationResult }[];
  points: NegationPointInput[];
  confidence: number;
  bootstrapResamples: number;
}

// The stored table's types come from its one schema (shared/contract-protocol.ts).
/** What is measured on one evaluation. `targetCollect` is null when RBᵢ names no object kind. */
export type NegationMeasures = NegationTable['base']['measures'][string];
/** Paired differences (this − reference), CIs by bootstrap over episodes. */
export type NegationDifference = NegationRow['afterVsControl'];
export type NegationRow = NegationTable['rows'][number];
export type NegationTable = NegationTableData;

interface Sampling {
  confidence: number;
  bootstrapResamples: number;
  seed: number;
}

/** 1 where the kind was collected in an episode, else 0. */
export function collectIndicator(result: EvaluationResult, kind: string): number[] {
  const steps = result.perEpisode.collectedAtStep[kind];
  if (steps === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the evaluation has no kind "${kind}" (has ${result.kinds.map((k) => k.kind).join(', ')})`,
    );
  }
  return steps.map((step) => (step > 0 ? 1 : 0));
}

export function returnsOf(result: EvaluationResult, reward: string): number[] {
  const returns = result.perEpisode.returns[reward];
  if (returns === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the evaluation has no reward "${reward}" (has ${Object.keys(result.perEpisode.returns).join(', ')})`,
    );
  }
  return returns;
}

function measures(
  result: EvaluationResult,
  ra: string,
  rb: { name: string; targetKind: string | null },
  s: Sampling,
): NegationMeasures {
  const boot = { resamples: s.bootstrapResamples, confidence: s.confidence, seed: s.seed };
  let targetCollect: Interval | null = null;
  if (rb.targetKind !== null) {
    const hits = collectIndicator(result, rb.targetKind);
    targetCollect = wilsonInterval(
      hits.reduce((a, b) => a + b, 0),
      hits.length,
      s.confidence,
    );
  }
  return {
    targetCollect,
    raReturn: bootstrapMeanCi(returnsOf(result, ra), boot),
    rbReturn: bootstrapMeanCi(returnsOf(result, rb.name), boot),
  };
}

/** Mean of xₑ − yₑ with a bootstrap CI; the two samples must be the same episodes. */
export function pairedDifference(x: readonly number[], y: readonly number[], s: Sampling): Interval {
  if (x.length !== y.length) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `paired difference of ${x.length} and ${y.length} episodes: evaluate both with the same episodes, seed and numEnvs`,
    );
  }
  return bootstrapMeanCi(
    x.map((v, e) => v - y[e]!),
    { resamples: s.bootstrapResamples, confidence: s.confidence, seed: s.seed },
  );
}

function difference(
  x: EvaluationResult,
  y: EvaluationResult,
  ra: string,
  targetKind: string | null,
  s: Sampling,
): NegationDifference {
  return {
    targetCollect:
      targetKind === null
        ? null
        : pairedDifference(collectIndicator(x, targetKind), collectIndicator(y, targetKind), s),
    raReturn: pairedDifference(returnsOf(x, ra), returnsOf(y, ra), s),
  };
}

export function negationTable(input: NegationInput): NegationTable {
  const s: Sampling = {
    confidence: input.confidence,
    bootstrapResamples: input.bootstrapResamples,
    seed: input.seed,
  };
  const rbByName = new Map(input.rbs.map((rb) => [rb.name, rb]));
  const rbOf = (name: string): { name: string; targetKind: string | null } => {
    const rb = rbByName.get(name);
    if (rb === undefined) throw new DeltascopeError('INVALID_SPEC', `negation: unknown RB "${name}"`);
    return rb;
  };
  const key = (p: { rb: string; variant: string; alpha: number }): string =>
    `${p.rb}|${p.variant}|${p.alpha}`;
  const byKey = new Map(input.points.map((p) => [key(p), p]));
  const rows = input.points.map((point): NegationRow => {
    const rb = rbOf(point.rb);
    const random = point.variant === 'random' ? undefined : byKey.get(key({ ...point, variant: 'random' }));
    return {
      rb: point.rb,
      variant: point.variant,
      alpha: point.alpha,
      checkpointId: point.checkpointId,
      recoveredCheckpointId: point.recoveredCheckpointId,
      before: measures(point.before, input.raName, rb, s),
      after: measures(point.after, input.raName, rb, s),
      afterVsRandom:
        random === undefined ? null : difference(point.after, random.after, input.raName, rb.targetKind, s),
      afterVsControl: difference(point.after, input.control.result, input.raName, rb.targetKind, s),
      ...(point.recovery === undefined ? {} : { recovery: point.recovery }),
    };
  });
  const perRb = (result: EvaluationResult): Record<string, NegationMeasures> =>
    Object.fromEntries(input.rbs.map((rb) => [rb.name, measures(result, input.raName, rb, s)]));
  return {
    format: NEGATION_FORMAT,
    seed: input.seed,
    raName: input.raName,
    confidence: input.confidence,
    bootstrapResamples: input.bootstrapResamples,
    episodes: input.base.result.episodes,
    rbs: input.rbs.map((rb) => ({ ...rb })),
    base: { checkpointId: input.base.checkpointId, measures: perRb(input.base.result) },
    control: { checkpointId: input.control.checkpointId, measures: perRb(input.control.result) },
    finetuned: input.finetuned.map((f) => ({
      rb: f.rb,
      checkpointId: f.checkpointId,
      measures: measures(f.result, input.raName, rbOf(f.rb), s),
    })),
    rows,
  };
}
