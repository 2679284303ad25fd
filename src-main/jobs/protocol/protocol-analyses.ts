import { DeltascopeError } from '../../shared/errors';
import { rbTargetKind } from '../../shared/experiment-spec';
import {
  deltaOf,
  knownAnswerCheck,
  localizationTable,
  negationTable,
  nodeIds,
  PROTOCOL_ARTIFACT_KINDS,
  recoveryOfDerived,
  objectiveGroups,
  superpose,
  varianceRatio,
  SUPERPOSITION_FORMAT,
  updateSignals,
  type JobNode,
  type NegationMethod,
  type NodeOutputs,
} from '../../protocol';
import type { ArtifactContentInput } from '../../shared/artifact-schemas';
import { encodeArtifact, type EncodedArtifact } from '../../shared/artifact-codec';
import type { ProtocolAnalysisRecipe } from '../../shared/artifact-schemas';
import { relevanceMapContent } from '../../shared/relevance-map-content';
import type { TensorMap } from '../../weights';
import {
  artifactOf,
  checkpointOf,
  evaluationOf,
  superpositionOf,
  relevanceMaskRecipe,
  type NodeContext,
  type Params,
} from './protocol-nodes';
import { checkpointMap, completeNode } from './protocol-store';
import { recoveryRecordOf } from '../recovery-record';

type AnalysisArtifactKind =
  | 'protocol-update-signals'
  | 'protocol-negation'
  | 'protocol-superposition'
  | 'protocol-known-answer'
  | 'protocol-localization';

/** A JSON analysis artifact (manifest: encoding, the data's format, a few facts shown in lists). */
function analysisArtifact<K extends AnalysisArtifactKind>(
  kind: K,
  experimentId: number,
  name: string,
  recipe: ProtocolAnalysisRecipe,
  data: ArtifactContentInput<K>['data'] & { format: string },
  summary: Record<string, unknown>,
): EncodedArtifact {
  const manifest = { encoding: 'json-utf8', format: data.format, summary };
  return encodeArtifact(kind, { experimentId, name }, { recipe, manifest, data } as ArtifactContentInput<K>);
}

/**
 * The analysis nodes of the protocol graph: each reads the checkpoints and evaluations of its deps,
 * computes a pure analysis from src-main/protocol and stores it as a JSON artifact (superposition:
 * also one float32 relevance-map artifact per aggregator) with its node state, in one transaction.
 */

/** The fine-tuned maps of a replication: RB fine-tunes and null controls, with MA. */
function finetunedMaps(
  ctx: NodeContext,
  seed: number,
): {
  base: { nodeId: string; checkpointId: number; map: TensorMap };
  rbs: { label: string; nodeId: string; checkpointId: number; map: TensorMap }[];
  nulls: { label: string; nodeId: string; checkpointId: number; map: TensorMap }[];
} {
  const { spec } = ctx.protocol;
  const load = (label: string, nodeId: string) => {
    const checkpointId = checkpointOf(ctx, nodeId);
    return { label, nodeId, checkpointId, map: checkpointMap(ctx.db, checkpointId) };
  };
  const base = load('MA', nodeIds.pretrain(seed));
  return {
    base,
    rbs: spec.rbs.map((rb) => load(rb.name, nodeIds.finetune(seed, rb.name))),
    nulls: Array.from({ length: spec.nullControls }, (_, k) => load(`null-${k}`, nodeIds.null(seed, k))),
  };
}

export function runAnalysisNode(ctx: NodeContext, node: JobNode, params: Params<'analysis'>): NodeOutputs {
  const { experimentId, spec } = ctx.protocol;
  const s = node.seed;
  const recipe: ProtocolAnalysisRecipe = {
    protocol: experimentId,
    nodeId: node.id,
    analysis: params.analysis,
    deps: node.deps,
  };
  /** Stores the analysis as one `kind` artifact with the node's recipe and completes the node with it. */
  const store = <K extends AnalysisArtifactKind>(
    kind: K,
    name: string,
    data: ArtifactContentInput<K>['data'] & { format: string },
    summary: Record<string, unknown>,
  ): NodeOutputs =>
    completeNode(ctx.db, experimentId, node.id, () => ({
      artifactId: ctx.db.artifacts.put(analysisArtifact(kind, experimentId, name, recipe, data, summary)).id,
    }));
  switch (params.analysis) {
    case 'update-signals': {
      const maps = finetunedMaps(ctx, s);
      const result = updateSignals(s, maps.base, [
        ...maps.rbs.map((d) => ({ ...d, role: 'rb' as const })),
        ...maps.nulls.map((d) => ({ ...d, role: 'null' as const })),
      ]);
      return store(PROTOCOL_ARTIFACT_KINDS.updateSignals, `update signals, seed ${s}`, result, {
        seed: s,
        deltas: result.deltas.length,
        tensors: result.tensors.length,
      });
    }
    case 'negation': {
      const evalOf = (target: string) => ({
        checkpointId: checkpointOf(ctx, target),
        result: evaluationOf(ctx, nodeIds.evaluate(target)),
      });
      const recoveryOf = (recovered: string) => {
        const runId = ctx.outputs.get(recovered)?.runId;
        const record = runId === undefined ? null : recoveryRecordOf(ctx.db, runId);
        return record === null ? {} : { recovery: record };
      };
      const point = (rb: string, variant: NegationMethod, alpha: number, id: string, recovered: string) => ({
        rb,
        variant,
        alpha,
        checkpointId: checkpointOf(ctx, id),
        before: evaluationOf(ctx, nodeIds.evaluate(id)),
        recoveredCheckpointId: checkpointOf(ctx, recovered),
        after: evaluationOf(ctx, nodeIds.evaluate(recovered)),
        ...(recovered === nodeIds.recoverControl(s) ? {} : recoveryOf(recovered)),
      });
      const points = ctx.protocol.graph.nodes
        .filter((n) => n.seed === s)
        .flatMap((n) => {
          if (n.params.kind === 'derive') {
            const p = n.params;
            return [point(p.rb, p.variant, p.alpha, n.id, recoveryOfDerived(s, n.id, p.alpha))];
          }
          if (n.params.kind === 'train' && n.params.role === 'positive' && n.params.subject !== null)
            return [point(n.params.subject, 'positive', 1, n.id, nodeIds.recover(n.id))];
          return [];
        });
      const table = negationTable({
        seed: s,
        raName: spec.ra.name,
        rbs: spec.rbs.map((rb) => ({ name: rb.name, targetKind: rbTargetKind(rb) })),
        base: evalOf(nodeIds.pretrain(s)),
        control: evalOf(nodeIds.recoverControl(s)),
        finetuned: spec.rbs.map((rb) => ({ rb: rb.name, ...evalOf(nodeIds.finetune(s, rb.name)) })),
        points,
        confidence: spec.confidence,
        bootstrapResamples: spec.bootstrapResamples,
      });
      return store(PROTOCOL_ARTIFACT_KINDS.negation, `negation test, seed ${s}`, table, {
        seed: s,
        rows: table.rows.length,
        episodes: table.episodes,
      });
    }
    case 'superposition':
      return runSuperposition(ctx, node, recipe);
    case 'gradient':
      throw new DeltascopeError('INTERNAL', `${node.id} runs in protocol-gradient.ts (it needs tfjs)`);
    case 'localization': {
      const loc = spec.localization;
      if (loc === null) throw new DeltascopeError('INVALID_SPEC', 'spec.localization is not set');
      const evalOf = (target: string) => ({
        checkpointId: checkpointOf(ctx, target),
        result: evaluationOf(ctx, nodeIds.evaluate(target)),
      });
      // The graph's own mask nodes (older graphs: one random draw, no baselines).
      const masked = ctx.protocol.graph.nodes
        .filter((n) => n.seed === s && n.params.kind === 'relevance-mask')
        .map((n) => {
          const p = n.params as Params<'relevance-mask'>;
          const maskArtifactId = artifactOf(ctx, n.id);
          const maskRecipe = relevanceMaskRecipe(ctx, maskArtifactId);
          return {
            selection: p.selection,
            kPercent: p.kPercent,
            selected: maskRecipe.selected,
            total: maskRecipe.total,
            movable: maskRecipe.movable,
            movableRule: maskRecipe.movableRule,
            ...(p.draw === undefined ? {} : { draw: p.draw }),
            maskArtifactId,
            ...evalOf(nodeIds.localize(s, p.selection, p.kPercent, p.draw ?? 0)),
          };
        });
      const table = localizationTable({
        seed: s,
        rbNew: loc.rbNew.name,
        aggregator: loc.aggregator,
        base: evalOf(nodeIds.pretrain(s)),
        full: evalOf(nodeIds.localizeFull(s)),
        masked,
        confidence: spec.confidence,
        bootstrapResamples: spec.bootstrapResamples,
      });
      return store(PROTOCOL_ARTIFACT_KINDS.localization, `localization test, seed ${s}`, table, {
        seed: s,
        rows: table.rows.length,
        rbNew: table.rbNew,
      });
    }
    case 'known-answer': {
      if (spec.knownAnswer === null) throw new DeltascopeError('INVALID_SPEC', 'spec.knownAnswer is not set');
      const check = knownAnswerCheck(
        s,
        spec.knownAnswer.tensor,
        superpositionOf(ctx, nodeIds.analysis(s, 'superposition')).maps,
      );
      return store(PROTOCOL_ARTIFACT_KINDS.knownAnswer, `known-answer check, seed ${s}`, check, {
        seed: s,
        plantedTensor: check.plantedTensor,
        pass: check.pass,
      });
    }
  }
}

/** Relevance maps (float32 artifacts, tensor manifest) plus the JSON summary that points at them. */
function runSuperposition(ctx: NodeContext, node: JobNode, recipe: ProtocolAnalysisRecipe): NodeOutputs {
  const { experimentId, spec } = ctx.protocol;
  const s = node.seed;
  const maps = finetunedMaps(ctx, s);
  const toDelta = (d: { label: string; checkpointId: number; map: TensorMap }) => ({
    label: d.label,
    checkpointId: d.checkpointId,
    map: deltaOf(maps.base.map, d.map),
  });
  const rbDeltas = maps.rbs.map(toDelta);
  const nullDeltas = maps.nulls.map(toDelta);
  const ratio = varianceRatio(objectiveGroups(rbDeltas, nullDeltas, spec.ra.name), spec.ra.name);
  const result = superpose({
    seed: s,
    base: maps.base.map,
    rbDeltas,
    nullDeltas,
    aggregators: spec.aggregators,
    tiesDensity: spec.tiesDensity,
    dareDropProbability: spec.dareDropProbability,
  });
  const mapArtifact = (
    aggregator: string,
    map: TensorMap,
    mapRecipe: {
      aggregator: string;
      params: Record<string, unknown>;
      inputs: number[];
      nullInputs?: number[];
    },
  ) =>
    ctx.db.artifacts.put(
      encodeArtifact(
        PROTOCOL_ARTIFACT_KINDS.relevanceMap,
        { experimentId, name: `relevance map ${aggregator}, seed ${s}` },
        relevanceMapContent(
          {
            ...mapRecipe,
            base: maps.base.checkpointId,
            protocol: { experimentId, nodeId: node.id, seed: s },
          },
          [...map.values()],
        ),
      ),
    ).id;
  return completeNode(ctx.db, experimentId, node.id, () => {
    const mapsOut = result.maps.map((m) => ({
      aggregator: m.aggregator,
      recipe: m.recipe,
      artifactId: mapArtifact(m.aggregator, m.map, m.recipe),
      concentration: m.concentration,
    }));
    const nullOut =
      result.nullMap === null
        ? null
        : {
            artifactId: mapArtifact('null-drift', result.nullMap.map, {
              aggregator: 'mean-abs',
              params: {},
              inputs: maps.nulls.map((n) => n.checkpointId),
            }),
            concentration: result.nullMap.concentration,
          };
    // Not one of spec.aggregators: computed whenever the grouping defines it, else recorded as skipped.
    const ratioOut =
      ratio.status === 'computed'
        ? {
            status: ratio.status,
            groups: ratio.groups,
            artifactId: mapArtifact('variance-ratio', ratio.map, {
              aggregator: 'variance-ratio',
              params: { groups: ratio.groups },
              inputs: rbDeltas.map((d) => d.checkpointId),
              nullInputs: nullDeltas.map((d) => d.checkpointId),
            }),
            concentration: ratio.concentration,
          }
        : ratio;
    const summary = {
      format: SUPERPOSITION_FORMAT,
      seed: s,
      base: { nodeId: maps.base.nodeId, checkpointId: maps.base.checkpointId },
      rbInputs: maps.rbs.map((d) => ({ label: d.label, nodeId: d.nodeId, checkpointId: d.checkpointId })),
      nullInputs: maps.nulls.map((d) => ({ label: d.label, nodeId: d.nodeId, checkpointId: d.checkpointId })),
      maps: mapsOut,
      nullMap: nullOut,
      varianceRatio: ratioOut,
    };
    const id = ctx.db.artifacts.put(
      analysisArtifact(
        PROTOCOL_ARTIFACT_KINDS.superposition,
        experimentId,
        `superposition, seed ${s}`,
        recipe,
        summary,
        {
          seed: s,
          aggregators: mapsOut.map((m) => m.aggregator),
          varianceRatio: ratio.status,
        },
      ),
    ).id;
    return {
      artifactId: id,
      artifactIds: [
        ...mapsOut.map((m) => m.artifactId),
        ...(nullOut === null ? [] : [nullOut.artifactId]),
        ...(ratioOut.status === 'computed' ? [ratioOut.artifactId] : []),
      ],
    };
  });
}
