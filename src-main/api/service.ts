import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { DeltascopeError, type ApiHandlers, type DatabaseInfo, type MetricSeries } from '../shared';
import { createNodeForkLauncher, JobQueue, type WorkerLauncher } from '../jobs';
import { createDatabase, openDatabase, openOrCreateDatabase, type DeltascopeDb } from '../store';
import { defaultDatabasePath } from './app-paths';
import { downsampleMinMax } from './downsample';
import { createClusterHandlers } from './cluster-handlers';
import { ComputeRunner } from './compute/compute-runner';
import { createEvaluationHandlers } from './evaluation/evaluation-handlers';
import type { EventBus } from './event-bus';
import { listDirectory } from './file-browser';
import { createJobsHandlers } from './jobs-handlers';
import { createProtocolHandlers, ProtocolSessions } from './protocol/protocol-handlers';
import { RecentFiles } from './recent-files';
import { createWeightsHandlers } from './weights/weights-handlers';

export interface ApiServiceOptions {
  appDataDir: string;
  mode: 'electron' | 'browser';
  version: string;
  bus: EventBus;
  /** Name of the tfjs backend when one has been initialised in this process. */
  computeBackend?: () => string | null;
  /** Starts training workers; default: child_process.fork of out/main/worker.cjs (Electron passes a utilityProcess launcher). */
  jobLauncher?: WorkerLauncher;
  /** Training jobs running at once; default: the number of cores. */
  jobParallelism?: number;
}

/**
 * The main side's implementation of the contract. Holds the one open database; opening another
 * file first checks and opens it, and only then closes the previous one, so a refused file leaves
 * the user where they were.
 */
export class ApiService {
  readonly handlers: ApiHandlers;
  private db: DeltascopeDb | null = null;
  private readonly recent: RecentFiles;
  readonly defaultDatabasePath: string;
  readonly jobs: JobQueue;
  /** Protocol experiments run by this session (stopped before the job queue on dispose). */
  readonly protocols: ProtocolSessions;
  /** Worker threads for the CPU-heavy calls (evaluations, heatmaps, reports). */
  readonly compute: ComputeRunner;

  constructor(private readonly options: ApiServiceOptions) {
    this.recent = new RecentFiles(options.appDataDir);
    this.defaultDatabasePath = defaultDatabasePath(options.appDataDir);
    this.jobs = new JobQueue({
      launcher: options.jobLauncher ?? createNodeForkLauncher(),
      ...(options.jobParallelism === undefined ? {} : { parallelism: options.jobParallelism }),
      emit: (event, payload) => options.bus.emit(event, payload),
      onWritten: (path) => this.announceWrite(path),
    });
    this.compute = new ComputeRunner({ emit: (event, payload) => options.bus.emit(event, payload) });
    this.protocols = new ProtocolSessions({
      database: () => this.database(),
      queue: this.jobs,
      emit: (event, payload) => options.bus.emit(event, payload),
      compute: this.compute,
      appDataDir: options.appDataDir,
      parallelism: options.jobParallelism ?? availableParallelism(),
      onWritten: (path) => this.announceWrite(path),
    });
    this.handlers = this.createHandlers();
  }

  /** The open database for in-process callers (CLI, jobs); throws NO_DATABASE when none is open. */
  database(): DeltascopeDb {
    if (!this.db) {
      throw new DeltascopeError('NO_DATABASE', 'No database is open. Use File → Open or File → New first.');
    }
    return this.db;
  }

  openPath(path: string, how: 'open' | 'create' | 'default'): DatabaseInfo {
    const absolute = resolve(path);
    const next =
      how === 'create'
        ? createDatabase(absolute)
        : how === 'default'
          ? openOrCreateDatabase(absolute)
          : openDatabase(absolute);
    this.db?.close();
    this.db = next;
    this.recent.add(absolute);
    const info = this.info();
    this.options.bus.emit('db.changed', { info, reason: 'opened' });
    return info;
  }

  close(): void {
    if (!this.db) return;
    this.db.close();
    this.db = null;
    this.options.bus.emit('db.changed', { info: null, reason: 'closed' });
  }

  /** A job wrote to `path`: if it is the open file, windows refresh what they show of it. */
  private announceWrite(path: string): void {
    if (this.db === null || resolve(this.db.path) !== resolve(path)) return;
    try {
      this.options.bus.emit('db.changed', { info: this.info(), reason: 'written' });
    } catch {
      // A busy or vanished file: the next write or a manual refresh shows the change.
    }
  }

  private info(): DatabaseInfo {
    const db = this.database();
    return db.info(resolve(db.path) === resolve(this.defaultDatabasePath));
  }

  private createHandlers(): ApiHandlers {
    return {
      'app.info': () => ({
        version: this.options.version,
        mode: this.options.mode,
        platform: process.platform,
        defaultDatabasePath: this.defaultDatabasePath,
        computeBackend: this.options.computeBackend?.() ?? this.jobs.lastBackend(),
      }),
      'db.current': () => (this.db ? this.info() : null),
      'db.open': ({ path }) => this.openPath(path, 'open'),
      'db.create': ({ path }) => this.openPath(path, 'create'),
      'db.openDefault': () => this.openPath(this.defaultDatabasePath, 'default'),
      'db.close': () => {
        this.close();
        return null;
      },
      'db.recent': () => this.recent.list(),
      'db.forgetRecent': ({ path }) => this.recent.remove(path),
      'fs.list': ({ dir }) => listDirectory(dir),
      'runs.tree': () => this.database().tree(),
      'runs.get': ({ runId }) => this.database().runs.getNode(runId),
      'checkpoints.get': ({ checkpointId }) => this.database().checkpoints.get(checkpointId),
      'metrics.keys': ({ runId }) => {
        this.database().runs.get(runId);
        return this.database().metrics.keys(runId);
      },
      'metrics.series': ({ runId, keys, fromStep, toStep, maxPoints }) => {
        const db = this.database();
        db.runs.get(runId);
        const wanted = keys ?? db.metrics.keys(runId);
        return wanted.map((key): MetricSeries => {
          const raw = db.metrics.series(runId, key, { fromStep, toStep });
          return {
            key,
            ...downsampleMinMax(raw.steps, raw.values, maxPoints),
            totalPoints: raw.steps.length,
          };
        });
      },
      'metrics.final': ({ runIds, keys }) => {
        const db = this.database();
        return runIds.flatMap((runId) => {
          db.runs.get(runId);
          return keys.flatMap((key) => {
            const last = db.metrics.last(runId, key);
            return last === null ? [] : [{ runId, key, ...last }];
          });
        });
      },
      ...createJobsHandlers(this.jobs, () => this.database()),
      ...createEvaluationHandlers({
        database: () => this.database(),
        compute: this.compute,
        onWritten: () => this.announceWrite(this.database().path),
      }),
      ...createProtocolHandlers(this.protocols.options, this.protocols),
      ...createClusterHandlers({ compute: this.compute }),
      ...createWeightsHandlers({
        database: () => this.database(),
        compute: this.compute,
        emit: (event, payload) => this.options.bus.emit(event, payload),
        onWritten: () => this.announceWrite(this.database().path),
      }),
    };
  }

  /** The recent list, for the native menu. */
  recentFiles(): ReturnType<RecentFiles['list']> {
    return this.recent.list();
  }

  dispose(): void {
    this.db?.close();
    this.db = null;
  }

  /**
   * Ends the session's work: evaluations, reports and protocol nodes in worker threads at once;
   * training jobs after their workers wrote a last checkpoint.
   */
  async disposeJobs(): Promise<void> {
    const compute = this.compute.dispose();
    await this.protocols.stopAll();
    await compute;
    await this.jobs.dispose();
  }

  get currentFileName(): string | null {
    return this.db ? basename(this.db.path) : null;
  }
}
