import { readNodeStates, loadProtocol } from '../../jobs/protocol/protocol-store';
import { recoveryRecordOf } from '../../jobs/recovery-record';
import {
  behaviourMatrix,
  nodeIds,
  pooledLocalization,
  pooledNegation,
  recoveryOfDerived,
  reportStatements,
  reportVerdicts,
  type AnalysisKind,
  type JobGraph,
  type NodeState,
  type ReplicationLocalizationInput,
  type ReplicationNegationInput,
  type ReportCurve,
} from '../../protocol';
import { decodeArtifact } from '../../shared/artifact-codec';
import type { ArtifactData, ArtifactKind } from '../../shared/artifact-schemas';
import {
  METRIC_KEYS,
  PROTOCOL_REPORT_FORMAT,
  type ProtocolReport,
  type ReportSeed,
  type SuccessFigure,
} from '../../shared';
import type { EvaluationResult, EvaluationResultSummary } from '../../shared/contract-evaluation';
import { rbTargetKind, type ExperimentSpec } from '../../shared/experiment-spec';
import type { DeltascopeDb } from '../../store';
import { ensureReportBaseline } from './protocol-report-baseline';

/**
 * The report of a protocol experiment, read from the store: the analyses' artifacts as stored, the
 * success figures of MA and each MBᵢ from their evaluations, a uniform-random policy's success on the
 * same held-out mazes (the floor), the reward similarity, and the statements. Works on a partly run
 * experiment: what is not made yet is null; a stored artifact that does not decode is an error
 * naming it (DATABASE_CORRUPT), never a silently missing analysis.
 * The floor and the similarity are the experiment's stored report baseline
 * (protocol-report-baseline.ts): the first report computes and stores it, which is CPU-heavy — the
 * API builds that first report in a worker thread.
 */

export { ORTHOGONALITY_THRESHOLD } from './protocol-report-baseline';

/**
 * The decoded data of the artifact a done node made, or null when the node has not finished; an
 * artifact that does not decode throws DATABASE_CORRUPT naming its id, kind and the failing path.
 */
function dataOfNode<K extends ArtifactKind>(
  db: DeltascopeDb,
  states: Map<string, NodeState>,
  nodeId: string,
  kind: K,
): ArtifactData<K> | null {
  const state = states.get(nodeId);
  const id = state?.status === 'done' ? state.outputs.artifactId : undefined;
  if (id === undefined) return null;
  return decodeArtifact(kind, db.artifacts.get(id)).data;
}

function evaluationOfNode(
  db: DeltascopeDb,
  states: Map<string, NodeState>,
  target: string,
): { checkpointId: number | null; result: EvaluationResult } | null {
  const record = dataOfNode(db, states, nodeIds.evaluate(target), 'evaluation');
  return record === null ? null : { checkpointId: record.checkpointId, result: record.result };
}

function figure(
  subject: string,
  reward: string,
  evaluation: { checkpointId: number | null; result: EvaluationResultSummary } | null,
): SuccessFigure | null {
  const row = evaluation?.result.rewards.find((r) => r.name === reward);
  if (evaluation === null || row === undefined) return null;
  return {
    subject,
    reward,
    checkpointId: evaluation.checkpointId,
    success: row.success,
    meanReturn: row.meanReturn,
  };
}

/**
 * Per replication whose control is evaluated, the recovered derived checkpoints' evaluations (those
 * done), for pooling the negation effects across replications.
 */
function negationReplications(
  db: DeltascopeDb,
  states: Map<string, NodeState>,
  spec: ExperimentSpec,
  graph: JobGraph,
): ReplicationNegationInput[] {
  const out: ReplicationNegationInput[] = [];
  for (let r = 0; r < spec.seeds; r++) {
    const s = spec.seedBase + r;
    const control = evaluationOfNode(db, states, nodeIds.recoverControl(s));
    if (control === null) continue;
    const points: ReplicationNegationInput['points'] = [];
    const recoveryOf = (nodeId: string): { steps: number; reachedCriterion: boolean } | undefined => {
      const runId = states.get(nodeId)?.outputs.runId;
      const record = runId === undefined ? null : recoveryRecordOf(db, runId);
      return record === null ? undefined : { steps: record.steps, reachedCriterion: record.reachedCriterion };
    };
    for (const node of graph.nodes) {
      if (node.seed !== s) continue;
      if (node.params.kind === 'derive') {
        const { rb, variant, alpha } = node.params;
        const recovered = recoveryOfDerived(s, node.id, alpha);
        const after = evaluationOfNode(db, states, recovered);
        const recovery = recovered === nodeIds.recoverControl(s) ? undefined : recoveryOf(recovered);
        if (after !== null)
          points.push({
            rb,
            variant,
            alpha,
            after: after.result,
            ...(recovery === undefined ? {} : { recovery }),
          });
      } else if (
        node.params.kind === 'train' &&
        node.params.role === 'positive' &&
        node.params.subject !== null
      ) {
        const recovered = nodeIds.recover(node.id);
        const after = evaluationOfNode(db, states, recovered);
        const recovery = recoveryOf(recovered);
        if (after !== null) {
          points.push({
            rb: node.params.subject,
            variant: 'positive',
            alpha: 1,
            after: after.result,
            ...(recovery === undefined ? {} : { recovery }),
          });
        }
      }
    }
    out.push({ seed: s, control: control.result, points });
  }
  return out;
}

/**
 * Per replication whose MA and own full fine-tune on RB_new are evaluated, the evaluations of its
 * localization masks (those done), for pooling the localization test across replications.
 */
function localizationReplications(
  db: DeltascopeDb,
  states: Map<string, NodeState>,
  spec: ExperimentSpec,
  graph: JobGraph,
): ReplicationLocalizationInput[] {
  if (spec.localization === null) return [];
  const out: ReplicationLocalizationInput[] = [];
  for (let r = 0; r < spec.seeds; r++) {
    const s = spec.seedBase + r;
    const base = evaluationOfNode(db, states, nodeIds.pretrain(s));
    const full = evaluationOfNode(db, states, nodeIds.localizeFull(s));
    if (base === null || full === null) continue;
    const masks: ReplicationLocalizationInput['masks'][number][] = [];
    for (const node of graph.nodes) {
      if (node.seed !== s || node.params.kind !== 'relevance-mask') continue;
      const { selection, kPercent } = node.params;
      const draw = node.params.draw ?? 0;
      const evaluation = evaluationOfNode(db, states, nodeIds.localize(s, selection, kPercent, draw));
      if (evaluation !== null) masks.push({ selection, kPercent, draw, result: evaluation.result });
    }
    out.push({ seed: s, base: base.result, full: full.result, masks });
  }
  return out;
}

/** The report data of experiment `experimentId` (statements included). */
export function buildProtocolReport(db: DeltascopeDb, experimentId: number): ProtocolReport {
  const { spec, graph } = loadProtocol(db, experimentId);
  const experiment = db.experiments.get(experimentId);
  const states = readNodeStates(db, experimentId);
  const done = [...states.values()].filter((s) => s.status === 'done').length;
  const failed = [...states.values()].filter((s) => s.status === 'failed').length;
  const evalRewards = graph.evalRewards;

  const { similarity, floor } = ensureReportBaseline(db, experimentId, spec, evalRewards);

  const knownAnswer = latestKnownAnswerChecks(db, experimentId);
  const seeds: ReportSeed[] = [];
  for (let r = 0; r < spec.seeds; r++) {
    const s = spec.seedBase + r;
    const ma = evaluationOfNode(db, states, nodeIds.pretrain(s));
    const success = [
      figure('MA', spec.ra.name, ma),
      figure('random policy', spec.ra.name, { checkpointId: null, result: floor }),
      ...spec.rbs.flatMap((rb) => [
        figure(`MB:${rb.name}`, rb.name, evaluationOfNode(db, states, nodeIds.finetune(s, rb.name))),
        figure(`MA on ${rb.name}`, rb.name, ma),
        figure('random policy', rb.name, { checkpointId: null, result: floor }),
      ]),
    ].filter((f): f is SuccessFigure => f !== null);
    const analysis = <K extends ArtifactKind>(kind: AnalysisKind, artifactKind: K) =>
      dataOfNode(db, states, nodeIds.analysis(s, kind), artifactKind);
    const mbs = spec.rbs.map((rb) => ({
      rb: rb.name,
      evaluation: evaluationOfNode(db, states, nodeIds.finetune(s, rb.name)),
    }));
    const behaviour = behaviourMatrix(
      evalRewards.map((r) => r.name),
      [
        {
          policy: 'MA',
          ownReward: spec.ra.name,
          checkpointId: ma?.checkpointId ?? null,
          result: ma?.result ?? null,
        },
        ...mbs.map((mb) => ({
          policy: `MB:${mb.rb}`,
          ownReward: mb.rb,
          checkpointId: mb.evaluation?.checkpointId ?? null,
          result: mb.evaluation?.result ?? null,
        })),
      ],
    );
    seeds.push({
      seed: s,
      success,
      behaviour,
      updateSignals: analysis('update-signals', 'protocol-update-signals'),
      negation: analysis('negation', 'protocol-negation'),
      superposition: analysis('superposition', 'protocol-superposition'),
      knownAnswer: analysis('known-answer', 'protocol-known-answer'),
      localization: analysis('localization', 'protocol-localization'),
      spikeIn: knownAnswer.spikeIn(s),
      groundTruth: knownAnswer.groundTruth(s),
    });
  }

  const runs: ProtocolReport['runs'] = [];
  for (const node of graph.nodes) {
    const runId = states.get(node.id)?.outputs.runId;
    if (node.params.kind !== 'train' || runId === undefined) continue;
    runs.push({
      nodeId: node.id,
      role: node.params.role,
      trainReward: node.params.trainReward,
      seed: node.seed,
      runId,
    });
  }

  const pooled = pooledNegation({
    raName: spec.ra.name,
    rbs: spec.rbs.map((rb) => ({ name: rb.name, targetKind: rbTargetKind(rb) })),
    kinds: spec.env.kinds,
    raKinds: Object.entries(spec.ra.collect)
      .filter(([, w]) => w > 0)
      .map(([kind]) => kind),
    replications: negationReplications(db, states, spec, graph),
    pooling: { resamples: spec.bootstrapResamples, confidence: spec.confidence, seed: spec.seedBase },
  });
  const localization =
    spec.localization === null
      ? null
      : pooledLocalization({
          rbNew: spec.localization.rbNew.name,
          aggregator: spec.localization.aggregator,
          replications: localizationReplications(db, states, spec, graph),
          pooling: { resamples: spec.bootstrapResamples, confidence: spec.confidence, seed: spec.seedBase },
        });
  const base = { spec, similarity, seeds, pooledNegation: pooled, pooledLocalization: localization };
  return {
    format: PROTOCOL_REPORT_FORMAT,
    experimentId,
    name: spec.name,
    createdAt: experiment.createdAt,
    generatedAt: new Date().toISOString(),
    spec,
    progress: { done, total: graph.nodes.length, failed, complete: done === graph.nodes.length },
    similarity,
    runs,
    seeds,
    pooledNegation: pooled,
    pooledLocalization: localization,
    verdicts: reportVerdicts(base),
    statements: reportStatements(base),
  };
}

/** Per replication, its latest stored spike-in calibration and observation ground truth (protocol.knownAnswerChecks). */
function latestKnownAnswerChecks(
  db: DeltascopeDb,
  experimentId: number,
): {
  spikeIn: (seed: number) => ArtifactData<'protocol-spike-in'> | null;
  groundTruth: (seed: number) => ArtifactData<'protocol-ground-truth'> | null;
} {
  // One listing, ascending ids: a later run of the checks on a replication replaces the earlier one.
  const artifacts = db.artifacts.list(experimentId).sort((x, y) => x.id - y.id);
  const latestBySeed = <T extends { seed: number }>(
    kind: string,
    decode: (id: number) => T,
  ): Map<number, T> => {
    const bySeed = new Map<number, T>();
    for (const a of artifacts.filter((x) => x.kind === kind)) {
      const data = decode(a.id);
      bySeed.set(data.seed, data);
    }
    return bySeed;
  };
  const spikeIn = latestBySeed(
    'protocol-spike-in',
    (id) => decodeArtifact('protocol-spike-in', db.artifacts.get(id)).data,
  );
  const groundTruth = latestBySeed(
    'protocol-ground-truth',
    (id) => decodeArtifact('protocol-ground-truth', db.artifacts.get(id)).data,
  );
  return {
    spikeIn: (seed) => spikeIn.get(seed) ?? null,
    groundTruth: (seed) => groundTruth.get(seed) ?? null,
  };
}

/** Episodic return on the run's own reward over steps, for the training curves of pretrain and fine-tunes. */
export function reportCurves(db: DeltascopeDb, report: ProtocolReport): ReportCurve[] {
  return report.runs
    .filter((run) => run.role === 'pretrain' || run.role === 'finetune' || run.role === 'localize')
    .map((run) => {
      const keys = db.metrics.keys(run.runId);
      const perReward = `${METRIC_KEYS.episodicReturn}/${run.trainReward}`;
      const key = keys.includes(perReward) ? perReward : METRIC_KEYS.episodicReturn;
      const series = db.metrics.series(run.runId, key);
      return {
        label: run.nodeId,
        runId: run.runId,
        key,
        steps: Array.from(series.steps),
        values: Array.from(series.values),
      };
    })
    .filter((curve) => curve.steps.length > 0);
}
