import { blockingRate } from '../engine/gridmaze/path-blocking';
import { rbTargetKind, type ExperimentSpec } from '../shared/experiment-spec';
import type { ObjectKind } from '../shared/gridmaze-config';

/**
 * Whether recovery to criterion can keep the lean it is meant to test: for each RBᵢ, how often its
 * object stands on every path to RA's object within the horizon (engine/gridmaze/path-blocking). Where
 * it does, a negated checkpoint that keeps avoiding RBᵢ's object cannot reach RA's success, so it can
 * only meet the criterion by unlearning the lean (in the former demo's perfect 7×7 maze: 31 % of mazes,
 * and 0/3 negated checkpoints recovered).
 */

/** Mazes sampled per RB (a share is known to about ±1.5 % at this count). */
export const BLOCKING_MAZES = 1000;
/** Share above which the designer warns. */
export const BLOCKING_WARN_RATE = 0.05;

export interface RecoveryBlocking {
  rb: string;
  kind: ObjectKind;
  raKind: ObjectKind;
  /** Share of sampled mazes where `kind` stands on every path to `raKind` within the horizon. */
  rate: number;
}

/** Per RB with a target object: how often it blocks RA's object (empty without a criterion or a target). */
export function recoveryBlocking(spec: ExperimentSpec, mazes = BLOCKING_MAZES): RecoveryBlocking[] {
  const raKind = rbTargetKind({ ...spec.ra, addToRA: false }) as ObjectKind | null;
  if (spec.recoveryCriterion === null || raKind === null) return [];
  const out: RecoveryBlocking[] = [];
  for (const rb of spec.rbs) {
    const kind = rbTargetKind(rb) as ObjectKind | null;
    if (kind === null || kind === raKind) continue;
    out.push({ rb: rb.name, kind, raKind, rate: blockingRate(spec.env, raKind, kind, mazes, spec.seedBase) });
  }
  return out;
}

/** The designer's warnings: one per RB whose object blocks RA's in more than BLOCKING_WARN_RATE of mazes. */
export function recoveryBlockingNotes(spec: ExperimentSpec): { path: string; message: string }[] {
  return recoveryBlocking(spec)
    .filter((b) => b.rate > BLOCKING_WARN_RATE)
    .map((b) => ({
      path: 'env.loops',
      message:
        `In ${(b.rate * 100).toFixed(0)} % of mazes ${b.kind} stands on every path to ${b.raKind} within the horizon: ` +
        `a negated checkpoint that keeps avoiding ${b.kind} (−Δ of "${b.rb}") cannot get RA back to criterion there ` +
        `without unlearning the lean. Open loops (env.loops, e.g. 0.75) so that it can go round.`,
    }));
}
