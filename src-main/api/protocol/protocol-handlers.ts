import { join, resolve } from 'node:path';
import type { JobEventSink, JobQueue } from '../../jobs';
import { ProtocolRunner } from '../../jobs/protocol/protocol-runner';
import {
  createProtocolExperiment,
  loadProtocol,
  readNodeHistory,
  readNodeStates,
} from '../../jobs/protocol/protocol-store';
import { buildJobGraph, countByKind, nodeStatuses, PROTOCOL_ARTIFACT_KINDS } from '../../protocol';
import { nodeStartTimes } from '../../protocol/node-timings';
import { recoveryBlockingNotes } from '../../protocol/recovery-feasibility';
import {
  DeltascopeError,
  specFieldErrors,
  type ApiHandlers,
  type EventPayload,
  type ProtocolListItem,
  type ProtocolNodeInfo,
  type ProtocolReport,
  type ProtocolStatus,
  type RewardSimilarityResult,
} from '../../shared';
import { ExperimentSpecSchema } from '../../shared/experiment-spec';
import type { KnownAnswerChecksResult } from '../../shared/known-answer-checks';
import { memoryIssue } from '../../jobs/spec-memory';
import type { DeltascopeDb } from '../../store';
import type { ComputeRunner } from '../compute/compute-runner';
import {
  estimateProtocol,
  fileThroughputCache,
  measureThroughput,
  throughputKey,
  type Throughput,
  type ThroughputCache,
} from './protocol-estimate';
import { listPresets, presetsDir } from './protocol-presets';
import { storedReportBaseline } from './protocol-report-baseline';

/**
 * The `protocol.*` and `rewards.similarity` methods (shared/contract-protocol.ts). A started experiment
 * runs as a ProtocolRunner over the session's job queue: training nodes in worker processes, the other
 * nodes in the runner's worker thread, so this process's event loop stays free. One runner per
 * experiment at a time; its events go to the bus with jobId `protocol-<experimentId>`. Reports and
 * exports are built in a compute worker thread.
 */

type ProtocolMethods =
  | 'protocol.validate'
  | 'rewards.similarity'
  | 'protocol.presets'
  | 'protocol.start'
  | 'protocol.status'
  | 'protocol.stop'
  | 'protocol.resume'
  | 'protocol.retryFailed'
  | 'protocol.nodeLog'
  | 'protocol.list'
  | 'protocol.report'
  | 'protocol.exportReport'
  | 'protocol.knownAnswerChecks';

export interface ProtocolHandlerOptions {
  database: () => DeltascopeDb;
  queue: JobQueue;
  /** Worker threads for first reports and exports. */
  compute: ComputeRunner;
  emit: JobEventSink;
  /** Where the measured training throughput is cached (throughput-cache.json). */
  appDataDir: string;
  /** Training jobs the queue runs at once. */
  parallelism: number;
  /** The presets folder; default resources/experiments (see protocol-presets.ts). */
  presetsDir?: string;
  /** A protocol wrote to the database file `path`. */
  onWritten: (path: string) => void;
  /** Throughput cache; default a JSON file in appDataDir. */
  throughputCache?: ThroughputCache;
}

const DEFAULT_TRAINING_SLOTS = 2;

interface Session {
  runner: ProtocolRunner;
  state: 'running' | 'stopping' | 'done' | 'failed' | 'cancelled';
  etaSeconds: number | null;
  done: Promise<void>;
}

/** The runners of this session, by database file and experiment. */
export class ProtocolSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly measuring = new Map<string, Promise<Throughput | null>>();
  private readonly reports = new Map<string, Promise<ProtocolReport>>();
  private readonly cache: ThroughputCache;

  constructor(readonly options: ProtocolHandlerOptions) {
    this.cache =
      options.throughputCache ?? fileThroughputCache(join(options.appDataDir, 'throughput-cache.json'));
  }

  private key(db: DeltascopeDb, experimentId: number): string {
    return `${resolve(db.path)}#${experimentId}`;
  }

  /** The session of an experiment of the open database, if this process ran it. */
  session(db: DeltascopeDb, experimentId: number): Session | undefined {
    return this.sessions.get(this.key(db, experimentId));
  }

  /** Starts a runner for an experiment of the open database; refuses a second one. */
  launch(
    db: DeltascopeDb,
    experimentId: number,
    how: { retryFailed: boolean | ReadonlySet<string>; trainingSlots?: number },
  ): { experimentId: number; jobId: string } {
    loadProtocol(db, experimentId);
    const key = this.key(db, experimentId);
    const existing = this.sessions.get(key);
    if (existing !== undefined && (existing.state === 'running' || existing.state === 'stopping')) {
      throw new DeltascopeError(
        'ALREADY_RUNNING',
        `experiment ${experimentId} is already running in this session; stop it first or wait until it ends.`,
        {
          experimentId,
        },
      );
    }
    const emit: JobEventSink = (event, payload) => {
      if (event === 'job.progress') session.etaSeconds = (payload as EventPayload<'job.progress'>).etaSeconds;
      this.options.emit(event, payload);
    };
    const runner = new ProtocolRunner(db.path, experimentId, {
      queue: this.options.queue,
      emit,
      trainingSlots: how.trainingSlots ?? DEFAULT_TRAINING_SLOTS,
      retryFailed: how.retryFailed,
      onNode: () => this.options.onWritten(db.path),
    });
    const session: Session = { runner, state: 'running', etaSeconds: null, done: Promise.resolve() };
    session.done = runner.run().then(
      (summary) => {
        session.state = summary.done === summary.total ? 'done' : summary.stopped ? 'cancelled' : 'failed';
      },
      (error: unknown) => {
        session.state = 'failed';
        this.options.emit('job.state', {
          jobId: `protocol-${experimentId}`,
          label: `protocol experiment #${experimentId}`,
          state: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      },
    );
    this.sessions.set(key, session);
    return { experimentId, jobId: `protocol-${experimentId}` };
  }

  /**
   * The report of an experiment, built in a compute thread: the first one computes and stores the
   * baseline, and every one pools the negation effects with the spec's bootstrap (both CPU-heavy for
   * large specs). Concurrent calls for one experiment share one build.
   */
  async report(db: DeltascopeDb, experimentId: number): Promise<ProtocolReport> {
    loadProtocol(db, experimentId);
    const key = this.key(db, experimentId);
    let pending = this.reports.get(key);
    if (pending === undefined) {
      const hadBaseline = storedReportBaseline(db, experimentId) !== null;
      pending = this.options.compute
        .task<ProtocolReport>(
          { kind: 'protocol.report', dbPath: db.path, experimentId },
          `report of experiment ${experimentId}`,
        )
        .result.finally(() => this.reports.delete(key));
      this.reports.set(key, pending);
      if (!hadBaseline) void pending.then(() => this.options.onWritten(db.path)).catch(() => undefined);
    }
    return pending;
  }

  /** Measured throughput for the spec's shape (cached; one measurement at a time per shape). */
  async throughput(spec: Parameters<typeof throughputKey>[0]): Promise<Throughput | null> {
    const key = throughputKey(spec);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let pending = this.measuring.get(key);
    if (pending === undefined) {
      pending = measureThroughput(this.options.queue, spec)
        .then((rate) => {
          if (rate !== null) this.cache.set(key, rate);
          return rate;
        })
        .catch(() => null)
        .finally(() => this.measuring.delete(key));
      this.measuring.set(key, pending);
    }
    return pending;
  }

  /** Waits for every runner of this session to end (after stop()). */
  async stopAll(): Promise<void> {
    for (const session of this.sessions.values()) session.runner.stop();
    await Promise.all([...this.sessions.values()].map((s) => s.done));
  }
}

/** Nodes with status (done/failed from the store; running = a live training job of this queue). */
export function protocolStatus(
  db: DeltascopeDb,
  experimentId: number,
  queue: JobQueue,
  session: Session | undefined,
): ProtocolStatus {
  const { spec, graph } = loadProtocol(db, experimentId);
  const states = readNodeStates(db, experimentId);
  const experimentRuns = db.runs.listByExperiment(experimentId);
  const runsByName = new Map(experimentRuns.map((run) => [run.name, run.id]));
  const live = new Map(
    queue
      .list()
      .filter(
        (job) =>
          resolve(job.dbPath) === resolve(db.path) && (job.state === 'running' || job.state === 'queued'),
      )
      .map((job) => [job.runId, job]),
  );
  const runningIds = new Set<string>();
  for (const node of graph.nodes) {
    const runId = runsByName.get(node.id);
    if (node.params.kind === 'train' && runId !== undefined && live.has(runId) && !states.has(node.id)) {
      runningIds.add(node.id);
    }
  }
  const doneIds = new Set([...states].filter(([, s]) => s.status === 'done').map(([id]) => id));
  const failedIds = new Set([...states].filter(([, s]) => s.status === 'failed').map(([id]) => id));
  const status = nodeStatuses(graph, doneIds, failedIds, runningIds);
  const runCreated = new Map(experimentRuns.map((run) => [run.name, run.createdAt]));
  const starts = nodeStartTimes({
    nodes: graph.nodes.map((node) => ({ id: node.id, kind: node.params.kind, deps: node.deps })),
    finishedAt: new Map([...states].map(([id, state]) => [id, state.finishedAt])),
    runCreatedAt: runCreated,
  });
  const nodes = graph.nodes.map((node): ProtocolNodeInfo => {
    const state = states.get(node.id);
    const job = live.get(runsByName.get(node.id) ?? -1);
    return {
      id: node.id,
      kind: node.params.kind,
      seed: node.seed,
      deps: node.deps,
      status: status.get(node.id) ?? 'pending',
      outputs: state?.outputs ?? {},
      error: state?.error ?? null,
      startedAt: starts.get(node.id) ?? null,
      finishedAt: state?.finishedAt ?? null,
      progress: job !== undefined && runningIds.has(node.id) ? { done: job.done, total: job.total } : null,
    };
  });
  const count = (s: string): number => nodes.filter((n) => n.status === s).length;
  const complete = doneIds.size === graph.nodes.length;
  return {
    experimentId,
    name: spec.name,
    jobId: `protocol-${experimentId}`,
    state: session?.state ?? (complete ? 'done' : 'idle'),
    done: doneIds.size,
    total: graph.nodes.length,
    failed: failedIds.size,
    blocked: count('blocked'),
    running: runningIds.size,
    etaSeconds: session?.state === 'running' ? session.etaSeconds : null,
    nodes,
  };
}

export function createProtocolHandlers(
  options: ProtocolHandlerOptions,
  sessions = new ProtocolSessions(options),
): Pick<ApiHandlers, ProtocolMethods> {
  const { database, queue } = options;
  const status = (experimentId: number): ProtocolStatus =>
    protocolStatus(database(), experimentId, queue, sessions.session(database(), experimentId));
  return {
    'protocol.validate': async ({ spec, estimate, parallelTasks }) => {
      const parsed = ExperimentSpecSchema.safeParse(spec);
      if (!parsed.success) return { ok: false, errors: specFieldErrors(parsed.error) };
      const parallel = Math.min(DEFAULT_TRAINING_SLOTS, options.parallelism);
      const memory = memoryIssue(parsed.data, undefined, parallel);
      if (memory !== null)
        return { ok: false, errors: [{ path: memory.path.join('.'), message: memory.message }] };
      const graph = buildJobGraph(parsed.data);
      const nodesByKind = countByKind(graph);
      const rate = estimate ? await sessions.throughput(parsed.data) : null;
      return {
        ok: true,
        spec: parsed.data,
        nodes: graph.nodes.length,
        nodesByKind,
        trainingRuns: nodesByKind.train,
        estimate: estimate ? estimateProtocol(parsed.data, graph, rate, parallel, parallelTasks) : null,
        notes: recoveryBlockingNotes(parsed.data),
      };
    },
    // Up to 200,000 sampled transitions: in the compute runner's interactive thread.
    'rewards.similarity': (params) =>
      options.compute.quick<RewardSimilarityResult>(
        { kind: 'rewards.similarity', params },
        'Reward similarity',
      ),
    'protocol.presets': () => listPresets(presetsDir(options.presetsDir)),
    'protocol.start': ({ spec, trainingSlots }) => {
      const db = database();
      const slots = Math.min(trainingSlots ?? DEFAULT_TRAINING_SLOTS, options.parallelism);
      const stored = createProtocolExperiment(db, spec, slots);
      options.onWritten(db.path);
      return sessions.launch(db, stored.experimentId, {
        retryFailed: false,
        ...(trainingSlots === undefined ? {} : { trainingSlots }),
      });
    },
    'protocol.status': ({ experimentId }) => status(experimentId),
    'protocol.stop': ({ experimentId }) => {
      const session = sessions.session(database(), experimentId);
      if (session !== undefined && session.state === 'running') {
        session.state = 'stopping';
        session.runner.stop();
      }
      return status(experimentId);
    },
    'protocol.resume': ({ experimentId }) =>
      sessions.launch(database(), experimentId, { retryFailed: false }),
    'protocol.retryFailed': ({ experimentId, nodeIds }) => {
      const db = database();
      if (nodeIds === undefined) return sessions.launch(db, experimentId, { retryFailed: true });
      const states = readNodeStates(db, experimentId);
      for (const nodeId of nodeIds) {
        if (states.get(nodeId)?.status !== 'failed') {
          throw new DeltascopeError(
            'INVALID_PAYLOAD',
            `node "${nodeId}" of experiment ${experimentId} has not failed (${states.get(nodeId)?.status ?? 'not run or unknown'}); only failed nodes are retried.`,
            { experimentId, nodeId },
          );
        }
      }
      return sessions.launch(db, experimentId, { retryFailed: new Set(nodeIds) });
    },
    'protocol.nodeLog': ({ experimentId, nodeId }) => {
      const db = database();
      const { graph } = loadProtocol(db, experimentId);
      if (!graph.nodes.some((n) => n.id === nodeId)) {
        throw new DeltascopeError(
          'NOT_FOUND',
          `experiment ${experimentId} has no node "${nodeId}" in its job graph (${graph.nodes.length} nodes, e.g. "${graph.nodes[0]?.id ?? ''}").`,
          { experimentId, nodeId },
        );
      }
      const entries = readNodeHistory(db, experimentId, nodeId).map(
        ({ artifactId, status, finishedAt, outputs, error }) => ({
          artifactId,
          status,
          finishedAt,
          outputs,
          error,
        }),
      );
      return { experimentId, nodeId, entries };
    },
    'protocol.list': () => {
      const db = database();
      const graphs = new Set(
        db.artifacts
          .list()
          .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.graph)
          .map((a) => a.experimentId),
      );
      return db.experiments
        .list()
        .filter((experiment) => graphs.has(experiment.id))
        .map((experiment): ProtocolListItem => {
          const s = status(experiment.id);
          return {
            experimentId: experiment.id,
            name: experiment.name,
            createdAt: experiment.createdAt,
            state: s.state,
            done: s.done,
            total: s.total,
            failed: s.failed,
          };
        });
    },
    'protocol.report': ({ experimentId }) => sessions.report(database(), experimentId),
    'protocol.exportReport': async (params) => {
      const db = database();
      loadProtocol(db, params.experimentId);
      const written = await options.compute.task<{ htmlPath: string; csvPaths: string[] }>(
        { kind: 'protocol.exportReport', dbPath: db.path, params },
        `report of experiment ${params.experimentId}`,
      ).result;
      options.onWritten(db.path);
      return written;
    },
    'protocol.knownAnswerChecks': async (params) => {
      const db = database();
      loadProtocol(db, params.experimentId);
      const result = await options.compute.task<KnownAnswerChecksResult>(
        { kind: 'protocol.knownAnswerChecks', dbPath: db.path, params },
        `known-answer checks of experiment ${params.experimentId}`,
      ).result;
      options.onWritten(db.path);
      return result;
    },
  };
}
