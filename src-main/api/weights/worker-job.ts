import type { Worker } from 'node:worker_threads';
import type { EventName, EventPayload } from '../../shared';
import { DeltascopeError } from '../../shared/errors';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** A running worker job as its message handler sees it. */
export interface WorkerJobControl<T> {
  /** Whether the job has already resolved, failed or been cancelled. */
  settled: () => boolean;
  /** Ends the job once: `null` resolves with `value`, an error rejects; the worker is terminated. */
  finish: (error: DeltascopeError | null, value?: T) => void;
}

export interface WorkerJobOptions<T, M> {
  jobId: string;
  label: string;
  emit: Emit;
  /** The runner's cancel functions by job id; the job is in it while it runs. */
  running: Map<string, () => void>;
  start: () => Worker;
  onMessage: (message: M, job: WorkerJobControl<T>) => void;
}

/**
 * The running worker jobs of one runner (diffs, aggregations): each one's stop, by job id, so that a
 * job can be cancelled by id and all of them stopped on shutdown.
 */
export class WorkerJobs {
  /** Handed to runWorkerJob, which keeps a job in it while it runs. */
  readonly running = new Map<string, () => void>();
  private sequence = 0;

  /** Job ids are `<prefix>-N` unless the caller names one; `noun` names a job in the refusal. */
  constructor(
    private readonly prefix: string,
    private readonly noun: string,
  ) {}

  /** `requested`, or the next `<prefix>-N`; INVALID_PAYLOAD when a job of that id is already running. */
  claim(requested: string | null | undefined): string {
    const jobId = requested ?? `${this.prefix}-${++this.sequence}`;
    if (this.running.has(jobId)) {
      throw new DeltascopeError('INVALID_PAYLOAD', `${this.noun} with job id "${jobId}" is already running.`);
    }
    return jobId;
  }

  /** Stops a running job (its promise rejects with CANCELLED); false when none has that id. */
  cancel(jobId: string): boolean {
    const stop = this.running.get(jobId);
    if (stop === undefined) return false;
    stop();
    return true;
  }

  /** Stops every running job (on shutdown). */
  dispose(): void {
    for (const stop of [...this.running.values()]) stop();
  }
}

/**
 * Runs one worker thread as a job: emits `job.state` running, then done, failed or cancelled;
 * cancellable through `running` from the moment listeners hear "running"; a worker error or an
 * early exit fails the job with INTERNAL.
 */
export function runWorkerJob<T, M>(options: WorkerJobOptions<T, M>): Promise<T> {
  const { jobId, label, emit, running } = options;
  return new Promise((resolvePromise, rejectPromise) => {
    let worker: Worker | null = null;
    let settled = false;
    const finish = (error: DeltascopeError | null, value?: T): void => {
      if (settled) return;
      settled = true;
      running.delete(jobId);
      void worker?.terminate();
      if (error === null) {
        emit('job.state', { jobId, label, state: 'done' });
        resolvePromise(value!);
      } else {
        const state = error.code === 'CANCELLED' ? 'cancelled' : 'failed';
        emit('job.state', { jobId, label, state, message: error.message });
        rejectPromise(error);
      }
    };
    // Cancellable from the moment listeners hear "running" (they may cancel inside the event).
    running.set(jobId, () => finish(new DeltascopeError('CANCELLED', `${label} was cancelled.`, { jobId })));
    emit('job.state', { jobId, label, state: 'running' });
    if (settled) return;
    try {
      worker = options.start();
    } catch (error) {
      finish(error instanceof DeltascopeError ? error : new DeltascopeError('INTERNAL', String(error)));
      return;
    }
    const control: WorkerJobControl<T> = { settled: () => settled, finish };
    worker.on('message', (message: M) => options.onMessage(message, control));
    worker.on('error', (error) =>
      finish(new DeltascopeError('INTERNAL', `${label} failed in its worker thread: ${error.message}`)),
    );
    worker.on('exit', (code) => {
      if (!settled)
        finish(new DeltascopeError('INTERNAL', `${label}: the worker thread exited (code ${code}).`));
    });
  });
}

/**
 * A `job.progress` payload: rate = done / seconds since `startedMs` (performance.now()), ETA =
 * (total − done) / rate; both null until they can be computed.
 */
export function jobProgress(
  jobId: string,
  label: string,
  unit: string,
  startedMs: number,
  done: number,
  total: number,
): EventPayload<'job.progress'> {
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = seconds > 0 ? done / seconds : null;
  return {
    jobId,
    label,
    done,
    total,
    unit,
    ratePerSecond: rate,
    etaSeconds: rate !== null && rate > 0 ? (total - done) / rate : null,
    latest: {},
  };
}
