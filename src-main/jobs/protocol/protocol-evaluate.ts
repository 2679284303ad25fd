import { initBackend } from '../../engine/backend';
import { evaluatePolicy } from '../../engine/evaluate';
import { createGridMaze } from '../../engine/gridmaze';
import { createNetwork, networkSpecFor } from '../../engine/nn/network';
import { networkPolicy } from '../../engine/policy-rollout';
import type { EncodedArtifact } from '../../shared/artifact-codec';
import type { EvaluationRecord } from '../../shared/contract-evaluation';
import { evaluationArtifact } from '../../shared/evaluation-artifact';
import type { ExperimentSpec } from '../../shared/experiment-spec';
import type { RewardSpec } from '../../shared/reward';
import type { DeltascopeDb } from '../../store';

/**
 * Evaluation of one checkpoint for the protocol runner, stored by the same encoder as the API's
 * `eval.run` (shared/evaluation-artifact.ts), so `eval.list` and the evaluation views show protocol
 * evaluations too. This module loads tfjs; it runs in
 * the protocol runner's worker thread (protocol-worker.ts).
 */

/** Plays the protocol's held-out episodes with checkpoint `checkpointId`; returns the record (id null) and its artifact. */
export async function evaluateForProtocol(
  db: DeltascopeDb,
  spec: ExperimentSpec,
  rewards: readonly RewardSpec[],
  checkpointId: number,
  experimentId: number,
  onProgress?: (episodesDone: number, episodes: number) => void,
): Promise<{ record: EvaluationRecord; artifact: EncodedArtifact }> {
  const backend = await initBackend();
  const checkpoint = db.checkpoints.get(checkpointId);
  const probe = createGridMaze(spec.env, rewards, { numEnvs: 1, seed: 0 });
  const network = createNetwork(networkSpecFor(spec.net, probe), 0);
  try {
    network.importWeights(
      [...db.checkpoints.readTensors(checkpointId)].map(([name, t]) => ({
        name,
        shape: t.shape,
        data: t.data,
      })),
    );
    const started = performance.now();
    const options = {
      episodes: spec.evalEpisodes,
      policy: spec.evalPolicy,
      seed: spec.evalSeed,
      bootstrapResamples: spec.bootstrapResamples,
      confidence: spec.confidence,
    };
    const result = evaluatePolicy(
      networkPolicy(network),
      { env: spec.env, rewards, trainReward: null },
      { ...options, ...(onProgress === undefined ? {} : { onProgress }) },
    );
    const elapsedSeconds = (performance.now() - started) / 1000;
    const record: EvaluationRecord = {
      id: null,
      checkpointId,
      runId: checkpoint.runId,
      checkpointLabel: checkpoint.label,
      checkpointStep: checkpoint.step,
      createdAt: new Date().toISOString(),
      backend: backend.label,
      elapsedSeconds,
      episodesPerSecond: spec.evalEpisodes / Math.max(elapsedSeconds, 1e-9),
      result,
    };
    const artifact = evaluationArtifact(experimentId, record, {
      method: 'protocol.evaluate',
      checkpointId,
      runId: checkpoint.runId,
      ...options,
      numEnvs: result.numEnvs,
      setup: { env: spec.env, rewards: [...rewards], net: spec.net },
    });
    return { record, artifact };
  } finally {
    network.dispose();
  }
}
