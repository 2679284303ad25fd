import { availableParallelism } from 'node:os';
import type { EventPayload, JobInfo } from '../shared/contract';
import type { JobState, RunStatus, RunSummary } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import { trainingBudget } from '../shared/training-spec';
import { openDatabase, type DeltascopeDb } from '../store';
import type { WorkerHandle, WorkerLauncher } from './launcher';
import { describeQueueView, isMissingRun } from './missing-run';
import { checkTrainingMemory } from './spec-memory';
import { checkResumable, createTrainingRun, parseTrainingSpec, specOfRun } from './training-runs';
import { WorkerMessageSchema, type WorkerMessage } from './worker-messages';

/** Where the queue's contract events go (the api's EventBus.emit fits). */
export type JobEventSink = <E extends 'job.progress' | 'job.state'>(
  event: E,
  payload: EventPayload<E>,
) => void;

export interface JobQueueOptions {
  launcher: WorkerLauncher;
  /** Jobs running at once; default: the number of cores. */
  parallelism?: number;
  emit?: JobEventSink;
  /** Called when a job has written to a database (a checkpoint, or its end). */
  onWritten?: (dbPath: string) => void;
  /** How long a cancelled worker may take to write its last checkpoint before it is killed. */
  cancelGraceMs?: number;
  /** Least time between two `job.progress` events of one job (the last one is always sent). */
  progressIntervalMs?: number;
}

export interface JobStarted {
  jobId: string;
  runId: number;
}

interface JobRecord {
  info: JobInfo;
  handle: WorkerHandle | null;
  cancelRequested: boolean;
  ending: Extract<WorkerMessage, { type: 'finished' | 'failed' }> | null;
  latest: Record<string, number>;
  lastProgressAt: number;
  progressPending: boolean;
  killTimer: ReturnType<typeof setTimeout> | null;
  waiters: ((info: JobInfo) => void)[];
}

const TERMINAL: readonly JobState[] = ['done', 'failed', 'cancelled'];
const KEEP_FINISHED = 200;

/**
 * A FIFO queue of training jobs, at most `parallelism` running at once, each in its own worker
 * process. The queue creates the run row (so a bad spec fails the call, not the job), starts the
 * worker, relays its progress as `job.progress` / `job.state` events, and reconciles the run's
 * status when a worker dies without saying why (crash, kill -9: the run is marked failed and can be
 * resumed from its last checkpoint).
 */
export class JobQueue {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly parallelism: number;
  private readonly cancelGraceMs: number;
  private readonly progressIntervalMs: number;
  private counter = 0;
  private lastBackendName: string | null = null;

  constructor(private readonly options: JobQueueOptions) {
    const parallelism = options.parallelism ?? availableParallelism();
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `job parallelism must be a positive integer; got ${parallelism}`,
      );
    }
    this.parallelism = parallelism;
    this.cancelGraceMs = options.cancelGraceMs ?? 30_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 200;
  }

  /** Validates the spec, creates its run in `db` (status created) and queues the training. */
  startTraining(db: DeltascopeDb, spec: unknown): JobStarted {
    const parsed = parseTrainingSpec(spec);
    const run = createTrainingRun(db, parsed);
    return this.enqueue(db.path, run, 0, trainingBudget(parsed).totalSteps);
  }

  /** Queues a job that continues run `runId` of `db` from its latest checkpoint. */
  resume(db: DeltascopeDb, runId: number): JobStarted {
    const active = [...this.jobs.values()].find(
      (job) => job.info.dbPath === db.path && job.info.runId === runId && !TERMINAL.includes(job.info.state),
    );
    if (active !== undefined) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `run ${runId} is already being trained by job ${active.info.jobId}.`,
        {
          runId,
          jobId: active.info.jobId,
        },
      );
    }
    const run = checkResumable(db, runId);
    const spec = specOfRun(run);
    checkTrainingMemory(spec, `run ${runId} spec`);
    return this.enqueue(db.path, run, run.lastStep ?? 0, trainingBudget(spec).totalSteps);
  }

  /** Cancels a job: a queued one at once, a running one once its worker has written a last checkpoint. */
  cancel(jobId: string): JobInfo {
    const job = this.record(jobId);
    if (TERMINAL.includes(job.info.state) || job.cancelRequested) return { ...job.info };
    job.cancelRequested = true;
    if (job.handle === null) {
      setRunStatus(job.info.dbPath, job.info.runId, 'cancelled');
      this.finish(job, 'cancelled', 'cancelled before it started');
    } else {
      job.handle.postMessage({ type: 'cancel' });
      const handle = job.handle;
      job.killTimer = setTimeout(() => handle.kill(), this.cancelGraceMs);
    }
    return { ...job.info };
  }

  /** Stops a running job's worker at once (after cancel, when its last checkpoint takes too long). */
  kill(jobId: string): void {
    const job = this.record(jobId);
    if (TERMINAL.includes(job.info.state)) return;
    if (job.handle === null) {
      this.cancel(jobId);
      return;
    }
    job.cancelRequested = true;
    job.handle.kill();
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((job) => ({ ...job.info }));
  }

  get(jobId: string): JobInfo {
    return { ...this.record(jobId).info };
  }

  /** Resolves with the job's final info once it has ended. */
  wait(jobId: string): Promise<JobInfo> {
    const job = this.record(jobId);
    if (TERMINAL.includes(job.info.state)) return Promise.resolve({ ...job.info });
    return new Promise((resolve) => job.waiters.push(resolve));
  }

  /** Backend reported by the most recent worker (e.g. "wasm"), or null before any. */
  lastBackend(): string | null {
    return this.lastBackendName;
  }

  /** Cancels every job and waits for their workers to end (at most the cancel grace, then they are killed). */
  async dispose(): Promise<void> {
    const open = [...this.jobs.values()].filter((job) => !TERMINAL.includes(job.info.state));
    // Queued jobs first, so that cancelling a running one does not start the next.
    for (const job of open.filter((j) => j.handle === null)) this.cancel(job.info.jobId);
    for (const job of open) this.cancel(job.info.jobId);
    await Promise.all(open.map((job) => this.wait(job.info.jobId)));
  }

  private record(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (job === undefined)
      throw new DeltascopeError('NOT_FOUND', `There is no job ${jobId} in this session.`, { jobId });
    return job;
  }

  private enqueue(dbPath: string, run: RunSummary, done: number, total: number): JobStarted {
    this.counter += 1;
    const jobId = `job-${this.counter}`;
    const job: JobRecord = {
      info: {
        jobId,
        kind: 'training',
        label: `train ${run.name} (run #${run.id})`,
        state: 'queued',
        dbPath,
        runId: run.id,
        done,
        total,
        ratePerSecond: null,
        etaSeconds: null,
        backend: null,
        lastCheckpointId: null,
        message: null,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
      },
      handle: null,
      cancelRequested: false,
      ending: null,
      latest: {},
      lastProgressAt: 0,
      progressPending: false,
      killTimer: null,
      waiters: [],
    };
    this.jobs.set(jobId, job);
    this.prune();
    this.emitState(job);
    this.pump();
    return { jobId, runId: run.id };
  }

  /** Starts queued jobs, oldest first, while fewer than `parallelism` run. */
  private pump(): void {
    const all = [...this.jobs.values()];
    let running = all.filter((job) => job.info.state === 'running').length;
    for (const job of all) {
      if (running >= this.parallelism) break;
      if (job.info.state !== 'queued') continue;
      running += 1;
      this.launch(job);
    }
  }

  private launch(job: JobRecord): void {
    job.info.state = 'running';
    job.info.startedAt = new Date().toISOString();
    try {
      job.handle = this.options.launcher.launch();
    } catch (error) {
      setRunStatus(job.info.dbPath, job.info.runId, 'failed');
      this.finish(
        job,
        'failed',
        `could not start a training worker (${this.options.launcher.name}): ${(error as Error).message}`,
      );
      return;
    }
    job.handle.onMessage((raw) => this.onMessage(job, raw));
    job.handle.onExit((code, signal) => this.onExit(job, code, signal));
    job.handle.postMessage({
      type: 'start',
      job: { jobId: job.info.jobId, dbPath: job.info.dbPath, runId: job.info.runId },
    });
    this.emitState(job);
  }

  private onMessage(job: JobRecord, raw: unknown): void {
    const parsed = WorkerMessageSchema.safeParse(raw);
    if (!parsed.success || TERMINAL.includes(job.info.state)) return;
    const message = parsed.data;
    switch (message.type) {
      case 'started':
        job.info.backend = message.backend;
        job.info.done = message.step;
        job.info.total = message.totalSteps;
        this.lastBackendName = message.backend;
        break;
      case 'progress':
        job.info.done = message.step;
        job.info.total = message.totalSteps;
        job.info.ratePerSecond = message.stepsPerSecond;
        job.info.etaSeconds = message.etaSeconds;
        job.latest = message.latest;
        job.progressPending = true;
        if (Date.now() - job.lastProgressAt >= this.progressIntervalMs) this.emitProgress(job);
        break;
      case 'checkpoint':
        job.info.lastCheckpointId = message.checkpointId;
        this.options.onWritten?.(job.info.dbPath);
        break;
      case 'finished':
      case 'failed':
        job.ending = message;
        break;
    }
  }

  /** The worker has exited: settle the job from what it said, or from the run's status in the file. */
  private onExit(job: JobRecord, code: number | null, signal: string | null): void {
    if (job.killTimer !== null) clearTimeout(job.killTimer);
    if (TERMINAL.includes(job.info.state)) return;
    const ending = job.ending;
    if (ending?.type === 'finished') {
      job.info.done = ending.step;
      if (ending.checkpointId !== null) job.info.lastCheckpointId = ending.checkpointId;
      this.finish(job, ending.state, ending.state === 'done' ? null : `cancelled at step ${ending.step}`);
    } else if (ending?.type === 'failed') {
      // A worker that cannot find its run: say whether this side sees it (see missing-run.ts).
      const view = isMissingRun(ending.error, job.info.runId)
        ? withDatabase(job.info.dbPath, (db) => describeQueueView(db, job.info.runId))
        : null;
      setRunStatus(job.info.dbPath, job.info.runId, 'failed');
      this.finish(job, 'failed', view === null ? ending.error.message : `${ending.error.message} ${view}`);
    } else {
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      const status = readRunStatus(job.info.dbPath, job.info.runId);
      if (status === 'done') {
        this.finish(job, 'done', null);
      } else if (status === 'cancelled' || job.cancelRequested) {
        setRunStatus(job.info.dbPath, job.info.runId, 'cancelled');
        this.finish(job, 'cancelled', `the training worker ${how}; the run keeps its last checkpoint`);
      } else {
        setRunStatus(job.info.dbPath, job.info.runId, 'failed');
        this.finish(
          job,
          'failed',
          `the training worker ${how}; resume the run to continue from its last checkpoint`,
        );
      }
    }
    this.options.onWritten?.(job.info.dbPath);
  }

  private finish(job: JobRecord, state: JobState, message: string | null): void {
    if (job.progressPending) this.emitProgress(job);
    job.info.state = state;
    job.info.message = message;
    job.info.finishedAt = new Date().toISOString();
    if (state !== 'done') job.info.etaSeconds = null;
    this.emitState(job);
    const waiters = job.waiters.splice(0);
    for (const resolve of waiters) resolve({ ...job.info });
    this.pump();
  }

  private emitState(job: JobRecord): void {
    this.options.emit?.('job.state', {
      jobId: job.info.jobId,
      label: job.info.label,
      state: job.info.state,
      ...(job.info.message === null ? {} : { message: job.info.message }),
    });
  }

  private emitProgress(job: JobRecord): void {
    job.lastProgressAt = Date.now();
    job.progressPending = false;
    this.options.emit?.('job.progress', {
      jobId: job.info.jobId,
      label: job.info.label,
      done: job.info.done,
      total: job.info.total,
      unit: 'env steps',
      ratePerSecond: job.info.ratePerSecond,
      etaSeconds: job.info.etaSeconds,
      latest: { ...job.latest },
    });
  }

  /** Forgets the oldest finished jobs beyond KEEP_FINISHED. */
  private prune(): void {
    const finished = [...this.jobs.values()].filter((job) => TERMINAL.includes(job.info.state));
    for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.jobs.delete(job.info.jobId);
  }
}

/** Opens the file briefly on its own connection (the caller's may be closed or another file by now). */
function withDatabase<T>(dbPath: string, fn: (db: DeltascopeDb) => T): T | null {
  let db: DeltascopeDb | null = null;
  try {
    db = openDatabase(dbPath);
    return fn(db);
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

function setRunStatus(dbPath: string, runId: number, status: RunStatus): void {
  withDatabase(dbPath, (db) => db.runs.setStatus(runId, status));
}

function readRunStatus(dbPath: string, runId: number): RunStatus | null {
  return withDatabase(dbPath, (db) => db.runs.get(runId).status);
}
