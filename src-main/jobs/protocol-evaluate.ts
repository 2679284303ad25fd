import { initBackend } from '../engine/backend';
import { evaluatePolicy } from '../engine/evaluate';
import { createGridMaze } from '../engine/gridmaze';
import { createNetwork } from '../engine/nn/network';
import { networkPolicy } from '../engine/policy-rollout';
import type { EvaluationRecord } from '../shared/contract-evaluation';
import type { ExperimentSpec } from '../shared/experiment-spec';
import type { RewardSpec } from '../shared/reward';
import type { DeltascopeDb, PutArtifactInput } from '../store';

/**
 * Evaluation of one checkpoint for the protocol runner, stored in the same form as the API's
 * `eval.run` (kind "evaluation", manifest = summary without per-episode data, data = the whole record
 * as UTF-8 JSON), so `eval.list` and the evaluation views show protocol evaluations too. This module
 * loads tfjs; the runner imports it lazily.
 */

export const EVALUATION_ARTIFACT_KIND = 'evaluation';

/** Plays the protocol's held-out episodes with checkpoint `checkpointId`; returns the record (id null) and its artifact. */
export async function evaluateForProtocol(
  db: DeltascopeDb,
  spec: ExperimentSpec,
  rewards: readonly RewardSpec[],
  checkpointId: number,
  experimentId: number,
): Promise<{ record: EvaluationRecord; artifact: PutArtifactInput }> {
  const backend = await initBackend();
  const checkpoint = db.checkpoints.get(checkpointId);
  const probe = createGridMaze(spec.env, rewards, { numEnvs: 1, seed: 0 });
  const network = createNetwork(
    {
      kind: spec.net.kind,
      obsShape: probe.obsShape,
      numActions: probe.numActions,
      hidden: spec.net.hidden,
      channels: spec.net.channels,
      denseWidth: spec.net.denseWidth,
    },
    0,
  );
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
      options,
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
    const { perEpisode: _perEpisode, ...summaryResult } = result;
    const { id: _id, ...meta } = record;
    const artifact: PutArtifactInput = {
      experimentId,
      kind: EVALUATION_ARTIFACT_KIND,
      name: `eval ${checkpoint.label}: ${options.policy}, ${options.episodes} episodes, seed ${options.seed}`,
      recipe: {
        method: 'protocol.evaluate',
        checkpointId,
        runId: checkpoint.runId,
        ...options,
        numEnvs: result.numEnvs,
        setup: { env: spec.env, rewards, net: spec.net },
      },
      manifest: { encoding: 'json-utf8', summary: { ...meta, result: summaryResult } },
      data: new TextEncoder().encode(JSON.stringify({ ...meta, result })),
    };
    return { record, artifact };
  } finally {
    network.dispose();
  }
}
