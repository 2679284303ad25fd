import type { z } from 'zod';
import { initBackend } from '../../engine/backend';
import { recordEpisode } from '../../engine/episode-recorder';
import { evaluatePolicy } from '../../engine/evaluate';
import { networkPolicy } from '../../engine/policy-rollout';
import { visitationHeatmap } from '../../engine/visitation';
import type { ArtifactKind } from '../../shared/artifact-schemas';
import {
  evaluationMethods,
  type EpisodeRecording,
  type EpisodeScan,
  type EvaluationMethodName,
  type EvaluationRecord,
  type EvaluationSummary,
  type VisitationResult,
} from '../../shared/contract-evaluation';
import {
  evaluationArtifact,
  evaluationRecordOf,
  evaluationSummaryOf,
} from '../../shared/evaluation-artifact';
import { DeltascopeError } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import { existsSync } from 'node:fs';
import type { ComputeRunner } from '../compute/compute-runner';
import { loadPolicy, type LoadedPolicy } from './evaluation-setup';

/**
 * The evaluation methods of the contract (shared/contract-evaluation.ts). Evaluations are stored as
 * artifacts of kind "evaluation" (shared/evaluation-artifact.ts, the same encoder as the protocol's).
 * The tfjs backend is initialised on first use. Through the API, `eval.run` and `episodes.visitation`
 * run in a compute worker thread (compute-runner.ts) as jobs that `eval.cancel` stops; the worker
 * calls the functions below with its own connection.
 */

const EVALUATION_ARTIFACT_KIND = 'evaluation' satisfies ArtifactKind;

type Params<M extends EvaluationMethodName> = z.output<(typeof evaluationMethods)[M]['request']>;
type Response<M extends EvaluationMethodName> = z.output<(typeof evaluationMethods)[M]['response']>;
export type EvaluationHandlers = { [M in EvaluationMethodName]: (params: Params<M>) => Promise<Response<M>> };

export interface EvaluationHandlerOptions {
  database: () => DeltascopeDb;
  /** Runs evaluations and heatmaps off the event loop. */
  compute: ComputeRunner;
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
export async function runEvaluation(
  db: DeltascopeDb,
  params: Params<'eval.run'>,
  onProgress?: (episodesDone: number, episodes: number) => void,
): Promise<EvaluationRecord> {
  return withPolicy(db, params, ({ checkpoint, run, setup, network }, backend) => {
    const started = performance.now();
    const result = evaluatePolicy(networkPolicy(network), setup, {
      episodes: params.episodes,
      policy: params.policy,
      seed: params.seed,
      numEnvs: params.numEnvs,
      bootstrapResamples: params.bootstrapResamples,
      confidence: params.confidence,
      ...(onProgress === undefined ? {} : { onProgress }),
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
    const { kind, hidden, channels, denseWidth } = network.spec;
    const { id } = db.artifacts.put(
      evaluationArtifact(run.experimentId, record, {
        method: 'eval.run',
        checkpointId: checkpoint.id,
        runId: run.id,
        episodes: params.episodes,
        policy: params.policy,
        seed: params.seed,
        numEnvs: result.numEnvs,
        bootstrapResamples: params.bootstrapResamples,
        confidence: params.confidence,
        setup: {
          env: setup.env,
          rewards: [...setup.rewards],
          net: { kind, hidden: [...hidden], channels: [...channels], denseWidth },
        },
      }),
    );
    return { ...record, id };
  });
}

/** eval.list: evaluations of a checkpoint, of a run, or all, oldest first. */
export function listEvaluations(db: DeltascopeDb, params: Params<'eval.list'>): EvaluationSummary[] {
  let experimentId: number | undefined;
  if (params.checkpointId !== undefined) {
    experimentId = db.runs.get(db.checkpoints.get(params.checkpointId).runId).experimentId;
  }
  if (params.runId !== undefined) experimentId = db.runs.get(params.runId).experimentId;
  return db.artifacts
    .list(experimentId)
    .filter((artifact) => artifact.kind === EVALUATION_ARTIFACT_KIND)
    .map(evaluationSummaryOf)
    .filter((summary) => params.checkpointId === undefined || summary.checkpointId === params.checkpointId)
    .filter((summary) => params.runId === undefined || summary.runId === params.runId);
}

/** eval.get: one stored evaluation with its per-episode data. */
export function getEvaluation(db: DeltascopeDb, evaluationId: number): EvaluationRecord {
  return evaluationRecordOf(db.artifacts.get(evaluationId));
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

/** episodes.scan: the same held-out mazes played by one or two checkpoints, what each collected. */
export async function scanCheckpointEpisodes(
  db: DeltascopeDb,
  params: Params<'episodes.scan'>,
  onProgress?: (done: number, total: number) => void,
): Promise<EpisodeScan> {
  const total = params.mazes * params.checkpointIds.length;
  const played: {
    checkpointId: number;
    env: string;
    kinds: string[];
    rewardNames: string[];
    episodes: EpisodeRecording[];
  }[] = [];
  for (const checkpointId of params.checkpointIds) {
    played.push(
      await withPolicy(db, { checkpointId, setup: params.setup }, ({ setup, network }) => {
        const policy = networkPolicy(network);
        const episodes: EpisodeRecording[] = [];
        for (let m = 0; m < params.mazes; m++) {
          episodes.push(
            recordEpisode(policy, setup, {
              mazeSeed: params.fromMazeSeed + m,
              policy: params.policy,
              seed: params.seed,
            }),
          );
          onProgress?.(played.length * params.mazes + m + 1, total);
        }
        return {
          checkpointId,
          env: JSON.stringify(setup.env),
          kinds: [...(episodes[0]?.kinds ?? [])],
          rewardNames: [...(episodes[0]?.rewardNames ?? [])],
          episodes,
        };
      }),
    );
  }
  const first = played[0] as (typeof played)[number];
  for (const other of played.slice(1)) {
    if (other.env !== first.env) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `checkpoints ${first.checkpointId} and ${other.checkpointId} play different environments (${first.env} vs ${other.env}); the same maze seed would give different mazes, so they cannot be compared maze by maze.`,
        { checkpointIds: params.checkpointIds },
      );
    }
  }
  return {
    format: 'deltascope.episode-scan/1',
    checkpointIds: [...params.checkpointIds],
    policy: params.policy,
    seed: params.seed,
    kinds: first.kinds,
    rewardNames: first.rewardNames,
    mazes: first.episodes.map((_, m) => ({
      mazeSeed: params.fromMazeSeed + m,
      outcomes: played.map(({ checkpointId, kinds, episodes }) => {
        const { outcome } = episodes[m] as EpisodeRecording;
        return {
          checkpointId,
          length: outcome.length,
          collected: kinds.filter((kind) => outcome.collectedAtStep[kind] !== undefined),
          returns: outcome.returns,
          success: outcome.success,
        };
      }),
    })),
  };
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
  const { database, compute } = options;
  /** The open database's file, or null when it has none a worker could open (then the work runs here). */
  const fileOf = (db: DeltascopeDb): string | null => (existsSync(db.path) ? db.path : null);
  return {
    'eval.run': async (params) => {
      const db = database();
      const dbPath = fileOf(db);
      const record =
        dbPath === null
          ? await runEvaluation(db, params)
          : await compute.job<EvaluationRecord>(
              { kind: 'eval.run', dbPath, params },
              {
                jobId: params.jobId,
                prefix: 'eval',
                label: `Evaluate checkpoint ${params.checkpointId}: ${params.episodes} episodes`,
                unit: 'episodes',
              },
            );
      if (record.id !== null) options.onWritten?.();
      return record;
    },
    'eval.cancel': async ({ jobId }) => ({ cancelled: compute.cancel(jobId) }),
    'eval.list': async (params) => listEvaluations(database(), params),
    'eval.get': async ({ evaluationId }) => getEvaluation(database(), evaluationId),
    // One episode: cheap, and the agent viewer asks for it often.
    'episodes.record': (params) => recordCheckpointEpisode(database(), params),
    'episodes.scan': async (params) => {
      const db = database();
      const dbPath = fileOf(db);
      if (dbPath === null) return scanCheckpointEpisodes(db, params);
      return compute.job<EpisodeScan>(
        { kind: 'episodes.scan', dbPath, params },
        {
          prefix: 'scan',
          label: `Scanning ${params.mazes} mazes with checkpoint ${params.checkpointIds.join(' and ')}`,
          unit: 'episodes',
        },
      );
    },
    'episodes.visitation': async (params) => {
      const db = database();
      const dbPath = fileOf(db);
      if (dbPath === null) return checkpointVisitation(db, params);
      return compute.job<VisitationResult>(
        { kind: 'episodes.visitation', dbPath, params },
        { prefix: 'visitation', label: `Visitation of checkpoint ${params.checkpointId}`, unit: 'episodes' },
      );
    },
  };
}
