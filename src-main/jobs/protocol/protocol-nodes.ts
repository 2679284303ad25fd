import { decodeArtifact, decodeArtifactHead } from '../../shared/artifact-codec';
import type { EvaluationResult } from '../../shared/contract-evaluation';
import type { SuperpositionData } from '../../shared/contract-protocol';
import { DeltascopeError } from '../../shared/errors';
import { evaluationRecordOf } from '../../shared/evaluation-artifact';
import {
  derivedMap,
  deriveFormula,
  GRADIENT_MOVABLE_RULE,
  movableRuleOf,
  nonZeroSet,
  movableSet,
  nodeIds,
  relevanceMask,
  type JobNode,
  type NodeOutputs,
  type NodeParams,
} from '../../protocol';
import type { DeltascopeDb } from '../../store';
import { arithmeticProvenance, tensorMapFromManifest, type TensorMap } from '../../weights';
import { evaluateForProtocol } from './protocol-evaluate';
import { checkpointMap, completeNode, type StoredProtocol } from './protocol-store';
import { trainableMaskArtifact } from '../trainable-mask';

/**
 * The non-training, non-analysis nodes of the protocol graph (masks, derived checkpoints,
 * evaluations), run in the runner's worker thread (protocol-worker.ts; this module loads tfjs), and the
 * helpers that read a node's deps' outputs. Each writes what it makes together with its `done` state in
 * one transaction.
 */

export interface NodeContext {
  db: DeltascopeDb;
  protocol: StoredProtocol;
  /** Outputs of the nodes done so far. */
  outputs: ReadonlyMap<string, NodeOutputs>;
  /** Progress of a long node (an evaluation: episodes played). */
  onProgress?: (progress: { done: number; total: number }) => void;
}

export function outputOf(ctx: NodeContext, nodeId: string): NodeOutputs {
  const out = ctx.outputs.get(nodeId);
  if (out === undefined) throw new DeltascopeError('INTERNAL', `node ${nodeId} has no outputs yet`);
  return out;
}

export function checkpointOf(ctx: NodeContext, nodeId: string): number {
  const id = outputOf(ctx, nodeId).checkpointId;
  if (id === undefined) throw new DeltascopeError('INTERNAL', `node ${nodeId} made no checkpoint`);
  return id;
}

export function artifactOf(ctx: NodeContext, nodeId: string): number {
  const id = outputOf(ctx, nodeId).artifactId;
  if (id === undefined) throw new DeltascopeError('INTERNAL', `node ${nodeId} made no artifact`);
  return id;
}

export type Params<K extends NodeParams['kind']> = Extract<NodeParams, { kind: K }>;

/** The known-answer mask: 1 on the planted tensor, 0 elsewhere. */
export function runMaskNode(ctx: NodeContext, node: JobNode, params: Params<'mask'>): NodeOutputs {
  const base = checkpointMap(ctx.db, checkpointOf(ctx, params.from));
  if (!base.has(params.tensor)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `spec.knownAnswer.tensor: the network has no tensor \`${params.tensor}\` (it has ${[...base.keys()].join(', ')})`,
    );
  }
  const masks = [...base.values()].map((t) => ({
    name: t.name,
    shape: t.shape,
    data: new Float32Array(t.data.length).fill(t.name === params.tensor ? 1 : 0),
  }));
  return completeNode(ctx.db, ctx.protocol.experimentId, node.id, () => ({
    artifactId: ctx.db.artifacts.put(
      trainableMaskArtifact(ctx.protocol.experimentId, `${node.id}: train only ${params.tensor}`, masks, {
        protocol: ctx.protocol.experimentId,
        nodeId: node.id,
        tensor: params.tensor,
      }),
    ).id,
  }));
}

/** A stored relevance map as a tensor map. */
export function relevanceMapOf(ctx: NodeContext, artifactId: number): TensorMap {
  const content = decodeArtifact('relevance-map', ctx.db.artifacts.get(artifactId));
  return tensorMapFromManifest(content.manifest.entries, content.data, `artifact ${artifactId}`);
}

/** The superposition JSON of a node: which artifact holds each aggregator's map. */
export function superpositionOf(ctx: NodeContext, nodeId: string): SuperpositionData {
  return decodeArtifact('protocol-superposition', ctx.db.artifacts.get(artifactOf(ctx, nodeId))).data;
}

/** How many elements a localization mask made trainable, of how many. */
export function relevanceMaskRecipe(
  ctx: NodeContext,
  artifactId: number,
): { selected: number; total: number; movable: number | undefined; movableRule: string | undefined } {
  const { recipe } = decodeArtifactHead('trainable-mask', ctx.db.artifacts.summary(artifactId));
  if (!('selected' in recipe)) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      `Artifact ${artifactId} (trainable-mask) cannot be read: recipe.selected: not a localization mask.`,
      { artifactId, kind: 'trainable-mask', path: 'recipe.selected' },
    );
  }
  return {
    selected: recipe.selected,
    total: recipe.total,
    movable: recipe.movable,
    movableRule: recipe.movableRule,
  };
}

/** The map a localization mask ranks: the aggregator's, the null-drift map, or the gradient saliency / Fisher at MA. */
function maskSourceMap(
  ctx: NodeContext,
  params: Params<'relevance-mask'>,
): { artifactId: number; label: string } {
  const superposition = superpositionOf(ctx, params.from);
  switch (params.selection) {
    case 'null-drift':
      if (superposition.nullMap === null)
        throw new DeltascopeError(
          'INVALID_SPEC',
          'a null-drift mask needs a null control (spec.nullControls ≥ 1)',
        );
      return { artifactId: superposition.nullMap.artifactId, label: 'the null-drift map' };
    case 'saliency':
    case 'fisher': {
      const ids =
        params.gradientFrom === undefined ? undefined : outputOf(ctx, params.gradientFrom).artifactIds;
      const artifactId = ids?.[params.selection === 'saliency' ? 0 : 1];
      if (artifactId === undefined)
        throw new DeltascopeError('INTERNAL', `a ${params.selection} mask needs the gradient node's maps`);
      return {
        artifactId,
        label: params.selection === 'saliency' ? 'gradient saliency |∂J/∂θ| at MA' : 'diagonal Fisher at MA',
      };
    }
    default: {
      const entry = superposition.maps.find((m) => m.aggregator === params.aggregator);
      if (entry === undefined) {
        throw new DeltascopeError(
          'INVALID_SPEC',
          `spec.localization.aggregator: no "${params.aggregator}" map was made`,
        );
      }
      return { artifactId: entry.artifactId, label: params.aggregator };
    }
  }
}

/**
 * The movable set: with the gradient node (graphs since the gradient rule), parameters whose RB_new
 * gradient or Fisher at MA is non-zero; before it, non-zero Δ from MA in at least one fine-tune of the
 * replication (RB fine-tunes, null controls, the full fine-tune on RB_new when it was a dep).
 */
function movableOf(
  ctx: NodeContext,
  node: JobNode,
  params: Params<'relevance-mask'>,
): { flags: Map<string, Uint8Array>; rule: string } {
  const s = node.seed;
  if (params.gradientFrom !== undefined) {
    const ids = outputOf(ctx, params.gradientFrom).artifactIds ?? [];
    const maps = ids.map((id) => relevanceMapOf(ctx, id));
    return { flags: nonZeroSet(maps), rule: GRADIENT_MOVABLE_RULE };
  }
  const { spec } = ctx.protocol;
  const sources = [
    ...spec.rbs.map((rb) => nodeIds.finetune(s, rb.name)),
    ...Array.from({ length: spec.nullControls }, (_, k) => nodeIds.null(s, k)),
    ...(ctx.outputs.has(nodeIds.localizeFull(s)) ? [nodeIds.localizeFull(s)] : []),
  ];
  const { movable } = movableSet(
    checkpointMap(ctx.db, checkpointOf(ctx, nodeIds.pretrain(s))),
    sources.map((id) => checkpointMap(ctx.db, checkpointOf(ctx, id))),
  );
  return { flags: movable, rule: movableRuleOf(sources) };
}

/** Localization mask: k % of the movable parameters trainable (top/bottom/random of a map, or a baseline's top), the rest frozen. */
export function runRelevanceMaskNode(
  ctx: NodeContext,
  node: JobNode,
  params: Params<'relevance-mask'>,
): NodeOutputs {
  const source = maskSourceMap(ctx, params);
  const { flags, rule } = movableOf(ctx, node, params);
  const ranked = ['top', 'bottom', 'random'].includes(params.selection) ? params.selection : 'top';
  const { masks, selected, total, movable } = relevanceMask(
    relevanceMapOf(ctx, source.artifactId),
    ranked as 'top' | 'bottom' | 'random',
    params.kPercent,
    params.randomSeed,
    flags,
  );
  const recipe = {
    protocol: ctx.protocol.experimentId,
    nodeId: node.id,
    relevanceMap: source.artifactId,
    ...params,
    selected,
    total,
    movable,
    excluded: total - movable,
    movableRule: rule,
  };
  return completeNode(ctx.db, ctx.protocol.experimentId, node.id, () => ({
    artifactId: ctx.db.artifacts.put(
      trainableMaskArtifact(
        ctx.protocol.experimentId,
        `${node.id}: ${params.selection === 'random' ? 'random' : `${params.selection === 'bottom' ? 'bottom' : 'top'}`} ${params.kPercent}% of the ${movable} movable parameters (${total - movable} excluded) of ${source.label}`,
        masks,
        recipe,
      ),
    ).id,
  }));
}

/** The derived run of a replication (phase "derived"), created on first use with MA's run config. */
/**
 * The run that holds replication `seed`'s derived checkpoints, made once. The runner makes it when the
 * replication's pretraining is done (`ensureDerivedRun`), before any derive node runs — so cluster
 * tasks, which each start from their inputs' rows, all find the same run instead of making one each.
 */
export function ensureDerivedRun(
  db: DeltascopeDb,
  experimentId: number,
  seed: number,
  baseCheckpointId: number,
): number {
  const name = `s${seed}/derived`;
  const existing = db.runs.listByExperiment(experimentId).find((run) => run.name === name);
  if (existing !== undefined) return existing.id;
  const baseRun = db.runs.get(db.checkpoints.get(baseCheckpointId).runId);
  return db.runs.create({
    experimentId,
    name,
    phase: 'derived',
    reward: baseRun.reward,
    seed,
    config: baseRun.config,
    parentCheckpointId: baseCheckpointId,
    status: 'done',
  }).id;
}

export function runDeriveNode(ctx: NodeContext, node: JobNode, params: Params<'derive'>): NodeOutputs {
  const baseId = checkpointOf(ctx, params.base);
  const tunedId = checkpointOf(ctx, params.target);
  const base = checkpointMap(ctx.db, baseId);
  const referenceId = params.reference === undefined ? undefined : checkpointOf(ctx, params.reference);
  // random: drawn on the movable parameters of the replication (graphs stored before: on every one).
  const movable =
    params.movableFrom === undefined
      ? null
      : movableSet(
          base,
          params.movableFrom.map((id) => checkpointMap(ctx.db, checkpointOf(ctx, id))),
        ).movable;
  const map = derivedMap(
    base,
    checkpointMap(ctx.db, tunedId),
    params.variant,
    params.alpha,
    params.randomSeed,
    {
      ...(referenceId === undefined ? {} : { reference: checkpointMap(ctx.db, referenceId) }),
      movable,
    },
  );
  const formula = deriveFormula(
    baseId,
    tunedId,
    params.variant,
    params.alpha,
    params.randomSeed,
    referenceId,
  );
  return completeNode(ctx.db, ctx.protocol.experimentId, node.id, () => {
    const runId = ensureDerivedRun(ctx.db, ctx.protocol.experimentId, node.seed, baseId);
    const checkpoint = ctx.db.checkpoints.put({
      runId,
      step: derivedStep(ctx, node),
      label: node.id,
      parentCheckpointId: baseId,
      tensors: [...map.values()].map((t) => ({ name: t.name, shape: [...t.shape], data: t.data })),
      provenance: arithmeticProvenance({
        formula,
        inputs: referenceId === undefined ? [baseId, tunedId] : [baseId, tunedId, referenceId],
        description: `${params.variant} RB "${params.rb}" at α = ${params.alpha}: ${formula}`,
        details: {
          protocolNode: node.id,
          variant: params.variant,
          alpha: params.alpha,
          rb: params.rb,
          ...(params.movableFrom === undefined ? {} : { movableFrom: params.movableFrom }),
        },
      }),
    });
    return { runId, checkpointId: checkpoint.id };
  });
}

export async function runEvaluateNode(
  ctx: NodeContext,
  node: JobNode,
  params: Params<'evaluate'>,
): Promise<NodeOutputs> {
  const checkpointId = checkpointOf(ctx, params.target);
  const { artifact } = await evaluateForProtocol(
    ctx.db,
    ctx.protocol.spec,
    ctx.protocol.graph.evalRewards,
    checkpointId,
    ctx.protocol.experimentId,
    (done, total) => ctx.onProgress?.({ done, total }),
  );
  return completeNode(ctx.db, ctx.protocol.experimentId, node.id, () => ({
    checkpointId,
    artifactId: ctx.db.artifacts.put(artifact).id,
  }));
}

/** The evaluation result stored by an evaluate node. */
export function evaluationOf(ctx: NodeContext, evalNodeId: string): EvaluationResult {
  return evaluationRecordOf(ctx.db.artifacts.get(artifactOf(ctx, evalNodeId))).result;
}

/**
 * A derived checkpoint's step in its run: the node's place among this replication's derive nodes in
 * graph order — the same whichever process makes it (a cluster task's file holds only the derived
 * checkpoints it read, so a count of the run's checkpoints would differ from a single-process run).
 */
function derivedStep(ctx: NodeContext, node: JobNode): number {
  return ctx.protocol.graph.nodes
    .filter((n) => n.params.kind === 'derive' && n.seed === node.seed)
    .findIndex((n) => n.id === node.id);
}
