import { evaluatePolicy } from '../../engine/evaluate';
import type { PolicyFn } from '../../engine/policy-rollout';
import { decodeArtifact, encodeArtifact } from '../../shared/artifact-codec';
import { REPORT_BASELINE_FORMAT, type ReportBaseline } from '../../shared/artifact-schemas';
import { positiveControlRewardNames, type ExperimentSpec } from '../../shared/experiment-spec';
import type { RewardSpec } from '../../shared/reward';
import type { DeltascopeDb } from '../../store';
import { computeRewardSimilarity, withUncheckedRewards } from './protocol-similarity';

/**
 * What the report compares against and that depends on the spec alone: the reward similarity (5,000
 * sampled transitions) and a uniform-random policy's evaluation on the same held-out mazes (the
 * floor; as long as an evaluation of the spec's evalEpisodes and bootstrapResamples). Computed once per
 * experiment — the first report computes it, off the event loop, and stores it as an artifact of kind
 * `protocol-report-baseline` — and read afterwards.
 */

export const REPORT_BASELINE_KIND = 'protocol-report-baseline' as const;
export type { ReportBaseline };
/** Transitions sampled for the report's similarity matrix. */
const REPORT_SIMILARITY_SAMPLES = 5000;
/** |ρ| above which a pair of rewards is flagged. */
export const ORTHOGONALITY_THRESHOLD = 0.3;
const ACTIONS = 4;

/** A policy with all logits 0 (uniform over the actions) and V = 0. */
const uniformPolicy: PolicyFn = (_obs, batch) => new Float32Array(batch * (ACTIONS + 1));

/** Computes the baseline (CPU-heavy for large evalEpisodes/bootstrapResamples: run it in a worker). */
export function computeReportBaseline(
  spec: ExperimentSpec,
  evalRewards: readonly RewardSpec[],
): ReportBaseline {
  let similarity: ReportBaseline['similarity'] = null;
  try {
    similarity = computeRewardSimilarity(spec.env, evalRewards, {
      samples: REPORT_SIMILARITY_SAMPLES,
      threshold: ORTHOGONALITY_THRESHOLD,
      seed: spec.seedBase,
      unchecked: positiveControlRewardNames(spec),
    });
  } catch {
    similarity = null;
  }
  const { perEpisode: _perEpisode, ...floor } = evaluatePolicy(
    uniformPolicy,
    { env: spec.env, rewards: evalRewards },
    {
      episodes: spec.evalEpisodes,
      policy: 'sampled',
      seed: spec.evalSeed,
      bootstrapResamples: spec.bootstrapResamples,
      confidence: spec.confidence,
    },
  );
  return { format: REPORT_BASELINE_FORMAT, similarity, floor };
}

/** The stored baseline of an experiment, or null when none is stored (or it is unreadable: recomputed). */
export function storedReportBaseline(db: DeltascopeDb, experimentId: number): ReportBaseline | null {
  const stored = db.artifacts
    .list(experimentId)
    .filter((artifact) => artifact.kind === REPORT_BASELINE_KIND)
    .at(-1);
  if (stored === undefined) return null;
  try {
    return decodeArtifact(REPORT_BASELINE_KIND, db.artifacts.get(stored.id)).data;
  } catch {
    return null;
  }
}

/** The stored baseline, else computed and stored (a database that cannot be written still gets its report). */
export function ensureReportBaseline(
  db: DeltascopeDb,
  experimentId: number,
  spec: ExperimentSpec,
  evalRewards: readonly RewardSpec[],
): ReportBaseline {
  const stored = storedReportBaseline(db, experimentId);
  if (stored !== null) {
    // Stored before the positive controls' rewards were exempt: their by-construction pairs go.
    const unchecked = positiveControlRewardNames(spec);
    return stored.similarity === null
      ? stored
      : { ...stored, similarity: withUncheckedRewards(stored.similarity, unchecked) };
  }
  const baseline = computeReportBaseline(spec, evalRewards);
  try {
    db.artifacts.put(
      encodeArtifact(
        REPORT_BASELINE_KIND,
        { experimentId, name: 'report baseline: reward similarity and random-policy floor' },
        {
          recipe: {
            protocol: experimentId,
            similaritySamples: REPORT_SIMILARITY_SAMPLES,
            floorPolicy: 'uniform-random',
          },
          manifest: {
            encoding: 'json-utf8',
            format: REPORT_BASELINE_FORMAT,
            summary: { episodes: baseline.floor.episodes, similarity: baseline.similarity !== null },
          },
          data: baseline,
        },
      ),
    );
  } catch {
    // read-only or busy: the next report computes it again
  }
  return baseline;
}
