import type { z } from 'zod';
import { initBackend } from '../engine/backend';
import { recordEpisode } from '../engine/episode-recorder';
import { evaluatePolicy } from '../engine/evaluate';
import { networkPolicy } from '../engine/policy-rollout';
import { visitationHeatmap } from '../engine/visitation';
import {
  EvaluationRecordSchema,
  EvaluationSummarySchema,
  evaluationMethods,
  type EpisodeRecording,
  type EvaluationMethodName,
  type EvaluationRecord,
  type EvaluationSummary,
  type VisitationResult,
} from '../shared/contract-evaluation';
import { DeltascopeError } from '../shared/errors';
import type { ArtifactSummary, DeltascopeDb } from '../store';
import { loadPolicy, type LoadedPolicy } from './evaluation-setup';

/**
 * The evaluation methods of the contract (shared/contract-evaluation.ts). Evaluations are stored as
 * artifacts of kind "evaluation": recipe = the request with the resolved setup (enough to recompute),
 * manifest = the record without per-episode data (what `eval.list` returns without reading BLOBs),
 * data = the whole record as UTF-8 JSON. The tfjs backend is initialised on first use.
 */

export const EVALUATION_ARTIFACT_KIND = 'evaluation';

type Params<M extends EvaluationMethodName> = z.output<(typeof evaluationMethods)[M]['request']>;
type Response<M extends EvaluationMethodName> = z.output<(typeof evaluationMethods)[M]['response']>;
export type EvaluationHandlers = { [M in EvaluationMethodName]: (params: Params<M>) => Promise<Response<M>> };

export interface EvaluationHandlerOptions {
  database: () => DeltascopeDb;
  /** Called after an evaluation was written to the database. */
  onWritten?: () => void;
}

/** Loads the checkpoint's policy, runs `use` on it with the backend's name, and disposes the network. */
async function withPolicy<T>(
  db: DeltascopeDb,
  params: Pick<Params<'eval.run'>, 'checkpointId' | 'setup'>,
  use: (loaded: LoadedPolicy, backend: string) => T,
): Promise<T> {
  const backend = await initBackend();
  const loaded = loadPolicy(db, params.checkpointId, params.setup ?? {});
  try {
    return use(loaded, backend.label);
  } finally {
    loaded.network.dispose();
  }
}

/** eval.run: evaluates a checkpoint and, unless `save` is false, stores the record as an artifact. */
export async function runEvaluation(db: DeltascopeDb, params: Params<'eval.run'>): Promise<EvaluationRecord> {
  return withPolicy(db, params, ({ checkpoint, run, setup, network }, backend) => {
    const started = performance.now();
    const result = evaluatePolicy(networkPolicy(network), setup, {
      episodes: params.episodes,
      policy: params.policy,
      seed: params.seed,
      numEnvs: params.numEnvs,
      bootstrapResamples: params.bootstrapResamples,
      confidence: params.confidence,
    });
    const elapsedSeconds = (performance.now() - started) / 1000;
    const record: EvaluationRecord = {
      id: null,
      checkpointId: checkpoint.id,
      runId: run.id,
      checkpointLabel: checkpoint.label,
      checkpointStep: checkpoint.step,
      createdAt: new Date().toISOString(),
      backend,
      elapsedSeconds,
      episodesPerSecond: params.episodes / Math.max(elapsedSeconds, 1e-9),
      result,
    };
    if (!params.save) return record;
    const { perEpisode: _perEpisode, ...summaryResult } = result;
    const { id: _id, ...meta } = record;
    const { id } = db.artifacts.put({
      experimentId: run.experimentId,
      kind: EVALUATION_ARTIFACT_KIND,
      name: `eval ${checkpoint.label}: ${params.policy}, ${params.episodes} episodes, seed ${params.seed}`,
      recipe: {
        method: 'eval.run',
        checkpointId: checkpoint.id,
        runId: run.id,
        episodes: params.episodes,
        policy: params.policy,
        seed: params.seed,
        numEnvs: params.numEnvs,
        bootstrapResamples: params.bootstrapResamples,
        confidence: params.confidence,
        setup: { env: setup.env, rewards: setup.rewards, net: network.spec },
      },
      manifest: { encoding: 'json-utf8', summary: { ...meta, result: summaryResult } },
      data: new TextEncoder().encode(JSON.stringify({ ...meta, result })),
    });
    return { ...record, id };
  });
}

function corrupt(artifact: { id: number }, what: string): DeltascopeError {
  return new DeltascopeError(
    'DATABASE_CORRUPT',
    `evaluation artifact ${artifact.id} has an unreadable ${what}`,
  );
}

function summaryOf(artifact: ArtifactSummary): EvaluationSummary {
  const summary = (artifact.manifest as { summary?: unknown } | null)?.summary;
  const parsed = EvaluationSummarySchema.safeParse({ ...(summary as object), id: artifact.id });
  if (summary === undefined || !parsed.success) throw corrupt(artifact, 'summary (manifest)');
  return parsed.data;
}

/** eval.list: evaluations of a checkpoint, of a run, or all, oldest first. */
export function listEvaluations(db: DeltascopeDb, params: Params<'eval.list'>): EvaluationSummary[] {
  let experimentId: number | undefined;
  if (params.checkpointId !== undefined) {
    experimentId = db.runs.get(db.checkpoints.get(params.checkpointId).runId).experimentId;
  }
  if (params.runId !== undefined) experimentId = db.runs.get(params.runId).experimentId;
  const recipeOf = (artifact: ArtifactSummary): { checkpointId?: unknown; runId?: unknown } =>
    (artifact.recipe ?? {}) as { checkpointId?: unknown; runId?: unknown };
  return db.artifacts
    .list(experimentId)
    .filter((artifact) => artifact.kind === EVALUATION_ARTIFACT_KIND)
    .filter(
      (artifact) =>
        params.checkpointId === undefined || recipeOf(artifact).checkpointId === params.checkpointId,
    )
    .filter((artifact) => params.runId === undefined || recipeOf(artifact).runId === params.runId)
    .map(summaryOf);
}

/** eval.get: one stored evaluation with its per-episode data. */
export function getEvaluation(db: DeltascopeDb, evaluationId: number): EvaluationRecord {
  const artifact = db.artifacts.get(evaluationId);
  if (artifact.kind !== EVALUATION_ARTIFACT_KIND) {
    throw new DeltascopeError(
      'NOT_FOUND',
      `artifact ${evaluationId} is a "${artifact.kind}", not an evaluation`,
    );
  }
  if (artifact.data === null) throw corrupt(artifact, 'record (no data)');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(artifact.data));
  } catch {
    throw corrupt(artifact, 'record (not JSON)');
  }
  const parsed = EvaluationRecordSchema.safeParse({ ...(raw as object), id: artifact.id });
  if (!parsed.success) throw corrupt(artifact, 'record');
  return parsed.data;
}

/** episodes.record: one held-out episode of a checkpoint, frame by frame. */
export function recordCheckpointEpisode(
  db: DeltascopeDb,
  params: Params<'episodes.record'>,
): Promise<EpisodeRecording> {
  return withPolicy(db, params, ({ setup, network }) =>
    recordEpisode(networkPolicy(network), setup, {
      mazeSeed: params.mazeSeed,
      policy: params.policy,
      seed: params.seed,
    }),
  );
}

/** episodes.visitation: visit counts of a checkpoint's policy. */
export function checkpointVisitation(
  db: DeltascopeDb,
  params: Params<'episodes.visitation'>,
): Promise<VisitationResult> {
  return withPolicy(db, params, ({ setup, network }) =>
    visitationHeatmap(networkPolicy(network), setup, {
      mode: params.mode,
      mazeSeed: params.mazeSeed,
      policy: params.policy,
      seed: params.seed,
      episodes: params.episodes,
      episodesPerStart: params.episodesPerStart,
      numEnvs: params.numEnvs,
      ...(params.anchorKind === undefined ? {} : { anchorKind: params.anchorKind }),
    }),
  );
}

/** The handlers to merge into ApiService's table. */
export function createEvaluationHandlers(options: EvaluationHandlerOptions): EvaluationHandlers {
  const { database } = options;
  return {
    'eval.run': async (params) => {
      const record = await runEvaluation(database(), params);
      if (record.id !== null) options.onWritten?.();
      return record;
    },
    'eval.list': async (params) => listEvaluations(database(), params),
    'eval.get': async ({ evaluationId }) => getEvaluation(database(), evaluationId),
    'episodes.record': (params) => recordCheckpointEpisode(database(), params),
    'episodes.visitation': (params) => checkpointVisitation(database(), params),
  };
}
