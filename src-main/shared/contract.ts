import { z } from 'zod';
import {
  CheckpointDetailSchema,
  DatabaseInfoSchema,
  DirListingSchema,
  ExperimentNodeSchema,
  JobStateSchema,
  MetricSeriesSchema,
  RecentFileSchema,
  RunNodeSchema,
} from './domain';
import { protocolChecksMethods } from './contract-checks';
import { clusterMethods } from './contract-cluster';
import { evaluationMethods } from './contract-evaluation';
import { protocolMethods } from './contract-protocol';
import { weightsMethods } from './contract-weights';
import { ErrorPayload } from './errors';
import { TrainingSpecSchema } from './training-spec';

/**
 * The one API contract between the renderer and the main side. Every call and every pushed event
 * is declared here, once, with zod schemas; the IPC preload, the WebSocket/HTTP server and the
 * renderer client are generic over this table. Requests are validated on the main side before a
 * service sees them.
 */

const none = z.object({}).strict();
const id = z.number().int().positive();

/** A job of the main side's queue (training runs in worker processes). */
export const JobInfoSchema = z.object({
  jobId: z.string(),
  kind: z.enum(['training']),
  label: z.string(),
  state: JobStateSchema,
  /** The database file the job writes to, and its run there. */
  dbPath: z.string(),
  runId: z.number().int(),
  /** Env steps done and the run's budget. */
  done: z.number(),
  total: z.number(),
  ratePerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  /** Compute backend of the worker (e.g. "wasm"), once it has started. */
  backend: z.string().nullable(),
  lastCheckpointId: z.number().int().nullable(),
  /** Why the job failed or how it ended, for the user. */
  message: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobInfo = z.output<typeof JobInfoSchema>;

const JobStartedSchema = z.object({ jobId: z.string(), runId: z.number().int() });

export const methods = {
  'app.info': {
    doc: 'Version, host mode and the default database location.',
    request: none,
    response: z.object({
      version: z.string(),
      mode: z.enum(['electron', 'browser']),
      platform: z.string(),
      defaultDatabasePath: z.string(),
      computeBackend: z.string().nullable(),
    }),
  },
  'db.current': {
    doc: 'The open database, or null.',
    request: none,
    response: DatabaseInfoSchema.nullable(),
  },
  'db.open': {
    doc: 'Open an existing .deltascope file; it is checked before anything is written to it.',
    request: z.object({ path: z.string().min(1) }).strict(),
    response: DatabaseInfoSchema,
  },
  'db.create': {
    doc: 'Create a new, empty .deltascope file and open it. Refuses to overwrite an existing file.',
    request: z.object({ path: z.string().min(1) }).strict(),
    response: DatabaseInfoSchema,
  },
  'db.openDefault': {
    doc: 'Open (creating if needed) the default database in the app-data folder.',
    request: none,
    response: DatabaseInfoSchema,
  },
  'db.close': {
    doc: 'Close the open database.',
    request: none,
    response: z.null(),
  },
  'db.recent': {
    doc: 'Recently opened databases, newest first.',
    request: none,
    response: z.array(RecentFileSchema),
  },
  'db.forgetRecent': {
    doc: 'Remove one path from the recent list (the file itself is not touched).',
    request: z.object({ path: z.string().min(1) }).strict(),
    response: z.array(RecentFileSchema),
  },
  'fs.list': {
    doc: 'List a folder on the machine running the main side (for the in-app file dialog).',
    request: z.object({ dir: z.string().min(1).optional() }).strict(),
    response: DirListingSchema,
  },
  'runs.tree': {
    doc: 'Experiments → runs → checkpoints of the open database (metadata only).',
    request: none,
    response: z.array(ExperimentNodeSchema),
  },
  'runs.get': {
    doc: 'One run with its checkpoints.',
    request: z.object({ runId: id }).strict(),
    response: RunNodeSchema,
  },
  'checkpoints.get': {
    doc: 'One checkpoint with its tensor manifest (not its weights).',
    request: z.object({ checkpointId: id }).strict(),
    response: CheckpointDetailSchema,
  },
  'metrics.keys': {
    doc: 'The metric keys recorded for a run.',
    request: z.object({ runId: id }).strict(),
    response: z.array(z.string()),
  },
  'metrics.series': {
    doc: 'Metric series of a run over a step range, downsampled to at most maxPoints per key.',
    request: z
      .object({
        runId: id,
        keys: z.array(z.string().min(1)).max(64).optional(),
        fromStep: z.number().int().nonnegative().optional(),
        toStep: z.number().int().nonnegative().optional(),
        maxPoints: z.number().int().min(10).max(100_000).default(2000),
      })
      .strict(),
    response: z.array(MetricSeriesSchema),
  },
  'metrics.final': {
    doc: "The last recorded value of each key for each run (the run table's final metrics); absent when a run never logged the key.",
    request: z
      .object({
        runIds: z.array(id).min(1).max(2000),
        keys: z.array(z.string().min(1)).min(1).max(16),
      })
      .strict(),
    response: z.array(
      z.object({ runId: z.number().int(), key: z.string(), step: z.number().int(), value: z.number() }),
    ),
  },
  'jobs.list': {
    doc: 'Jobs of this session (queued, running and finished), oldest first.',
    request: none,
    response: z.array(JobInfoSchema),
  },
  'jobs.startTraining': {
    doc: 'Create a run in the open database from a training spec and queue its training job.',
    request: z.object({ spec: TrainingSpecSchema }).strict(),
    response: JobStartedSchema,
  },
  'jobs.cancel': {
    doc: 'Cancel a job: a queued one at once; a running one after it writes a last checkpoint (run status cancelled).',
    request: z.object({ jobId: z.string().min(1) }).strict(),
    response: JobInfoSchema,
  },
  'jobs.resume': {
    doc: 'Queue a job that continues a training run of the open database from its latest checkpoint.',
    request: z.object({ runId: id }).strict(),
    response: JobStartedSchema,
  },
  ...evaluationMethods,
  ...weightsMethods,
  ...protocolMethods,
  ...protocolChecksMethods,
  ...clusterMethods,
} as const satisfies Record<string, { doc: string; request: z.ZodType; response: z.ZodType }>;

export const events = {
  'db.changed': {
    doc: 'The open database changed (opened, created, closed) or its contents were written.',
    payload: z.object({
      info: DatabaseInfoSchema.nullable(),
      reason: z.enum(['opened', 'closed', 'written']),
    }),
  },
  'job.progress': {
    doc: 'Progress of a long job (training, evaluation, large diff).',
    payload: z.object({
      jobId: z.string(),
      label: z.string(),
      done: z.number(),
      total: z.number(),
      unit: z.string(),
      ratePerSecond: z.number().nullable(),
      etaSeconds: z.number().nullable(),
      latest: z.record(z.string(), z.number()),
    }),
  },
  'job.state': {
    doc: 'A job changed state.',
    payload: z.object({
      jobId: z.string(),
      label: z.string(),
      state: JobStateSchema,
      message: z.string().optional(),
    }),
  },
  'app.notice': {
    doc: 'A message for the user raised outside a call (e.g. from a native menu).',
    payload: z.object({ level: z.enum(['info', 'error']), message: z.string(), code: z.string().optional() }),
  },
  'app.command': {
    doc: 'A command chosen in a native menu that the renderer carries out (e.g. show the open dialog).',
    payload: z.object({ command: z.enum(['file.open', 'file.new', 'view.runs']) }),
  },
} as const satisfies Record<string, { doc: string; payload: z.ZodType }>;

export type MethodName = keyof typeof methods;
export type EventName = keyof typeof events;
export type MethodRequest<M extends MethodName> = z.input<(typeof methods)[M]['request']>;
export type MethodParams<M extends MethodName> = z.output<(typeof methods)[M]['request']>;
export type MethodResponse<M extends MethodName> = z.output<(typeof methods)[M]['response']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]['payload']>;

/** What the renderer calls: one async function per method. */
export type DeltascopeApi = { [M in MethodName]: (request: MethodRequest<M>) => Promise<MethodResponse<M>> };

/** What the main side implements: receives validated params. */
export type ApiHandlers = {
  [M in MethodName]: (params: MethodParams<M>) => Promise<MethodResponse<M>> | MethodResponse<M>;
};

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

/** Wire envelopes shared by IPC and WebSocket/HTTP. */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: ErrorPayload };
export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}
export type WireResponse = { id: number } & CallResult;
export interface WireEvent {
  event: string;
  payload: unknown;
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from './ipc-channels';
