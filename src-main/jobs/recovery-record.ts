import type { RecoveryRecord } from '../shared/contract-protocol';
import { METRIC_KEYS } from '../shared/metric-keys';
import type { DeltascopeDb } from '../store';

/**
 * The recovery record of a training run that recovered to criterion, from its logged checks: env steps
 * trained (its last checkpoint's step), whether a check met the criterion, and the curve. Null when the
 * run logged no check (a fixed-budget recovery).
 */
export function recoveryRecordOf(db: DeltascopeDb, runId: number): RecoveryRecord | null {
  const success = db.metrics.series(runId, METRIC_KEYS.recoverySuccess);
  if (success.steps.length === 0) return null;
  const prefix = `${METRIC_KEYS.recoveryCollect}/`;
  const kinds = db.metrics
    .keys(runId)
    .filter((key) => key.startsWith(prefix))
    .map((key) => ({ kind: key.slice(prefix.length), series: db.metrics.series(runId, key) }));
  const met = db.metrics.series(runId, METRIC_KEYS.recoveryCriterionMet);
  const curve = [...success.steps].map((step, i) => ({
    step,
    success: success.values[i]!,
    collect: Object.fromEntries(
      kinds.map(({ kind, series }) => [kind, series.values[series.steps.indexOf(step)] ?? Number.NaN]),
    ),
  }));
  const last = db.checkpoints.latestForRun(runId);
  return {
    runId,
    steps: last?.step ?? 0,
    reachedCriterion: met.values.some((v) => v === 1),
    curve,
  };
}
