import { initBackend } from '../../engine/backend';
import { createGridMaze } from '../../engine/gridmaze';
import { createNetwork, networkSpecFor } from '../../engine/nn/network';
import { probeObjectiveGradient } from '../../engine/objective-gradient';
import { nodeIds, type JobNode, type NodeOutputs } from '../../protocol';
import { encodeArtifact } from '../../shared/artifact-codec';
import { DeltascopeError } from '../../shared/errors';
import { relevanceMapContent } from '../../shared/relevance-map-content';
import { checkpointOf, type NodeContext } from './protocol-nodes';
import { completeNode } from './protocol-store';

/**
 * The gradient analysis node `s/analysis/gradient` (runs in the runner's worker thread; loads tfjs):
 * MA's PPO-objective gradient on RB_new over one batch of rollouts (spec.ppo's numEnvs × numSteps) and
 * the policy's diagonal Fisher over FISHER_ROWS of them (engine/objective-gradient.ts), stored as two
 * relevance maps — `gradient-saliency` (|∂J/∂θ|) and `fisher` — in `outputs.artifactIds` [saliency,
 * fisher]. The localization masks draw only among parameters whose gradient or Fisher is non-zero
 * (the movable set) and take the two maps' top k % as baselines.
 */

/** Rows of the rollout batch the diagonal Fisher is averaged over (per-row backward passes). */
export const FISHER_ROWS = 256;
/** Stream of the probe's action sampling, off the replication seed. */
const PROBE_SEED_OFFSET = 0x9e37;

export const GRADIENT_MAP_AGGREGATORS = { saliency: 'gradient-saliency', fisher: 'fisher' } as const;

export async function runGradientNode(ctx: NodeContext, node: JobNode): Promise<NodeOutputs> {
  const { spec, graph, experimentId } = ctx.protocol;
  const loc = spec.localization;
  if (loc === null) throw new DeltascopeError('INVALID_SPEC', 'spec.localization is not set');
  await initBackend();
  const s = node.seed;
  const baseId = checkpointOf(ctx, nodeIds.pretrain(s));
  const env = createGridMaze(spec.env, graph.evalRewards, {
    numEnvs: spec.ppo.numEnvs,
    seed: s + PROBE_SEED_OFFSET,
    trainReward: loc.rbNew.name,
  });
  const network = createNetwork(networkSpecFor(spec.net, env), 0);
  try {
    network.importWeights(
      [...ctx.db.checkpoints.readTensors(baseId)].map(([name, t]) => ({
        name,
        shape: t.shape,
        data: t.data,
      })),
    );
    const probe = probeObjectiveGradient({
      env,
      network,
      numSteps: spec.ppo.numSteps,
      gamma: spec.ppo.gamma,
      gaeLambda: spec.ppo.gaeLambda,
      loss: spec.ppo,
      seed: s + PROBE_SEED_OFFSET,
      fisherRows: FISHER_ROWS,
    });
    const params = {
      reward: loc.rbNew.name,
      rows: probe.rows,
      fisherRows: probe.fisherRows,
      episodes: probe.episodes,
      meanReturn: probe.meanReturn,
    };
    const put = (aggregator: string, tensors: Float32Array[]): number =>
      ctx.db.artifacts.put(
        encodeArtifact(
          'relevance-map',
          { experimentId, name: `${aggregator} of ${loc.rbNew.name} at MA, seed ${s}` },
          relevanceMapContent(
            {
              aggregator,
              params,
              base: baseId,
              inputs: [],
              protocol: { experimentId, nodeId: node.id, seed: s },
            },
            probe.params.map((p, i) => ({ name: p.name, shape: p.shape, data: tensors[i]! })),
          ),
        ),
      ).id;
    return completeNode(ctx.db, experimentId, node.id, () => {
      const saliency = put(
        GRADIENT_MAP_AGGREGATORS.saliency,
        probe.gradient.map((g) => g.map(Math.abs)),
      );
      const fisher = put(GRADIENT_MAP_AGGREGATORS.fisher, probe.fisher);
      return { artifactId: saliency, artifactIds: [saliency, fisher] };
    });
  } finally {
    network.dispose();
  }
}
