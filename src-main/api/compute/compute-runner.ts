import { startWorkerThread, TaskThread, type TaskHandle, type TaskProgress } from '../../jobs/task-thread';
import { DeltascopeError } from '../../shared/errors';
import type { ComputeRequest } from './compute-messages';
import { jobProgress, type Emit } from '../weights/worker-job';

/**
 * The API's CPU-heavy calls (evaluations, visitation heatmaps, first reports, report exports) in worker
 * threads (compute-worker.ts), so the process that answers the API keeps answering within milliseconds
 * while they run. Up to `maxThreads` threads, each kept for the next task (tfjs loads once per thread);
 * a task goes to an idle thread, else to a new one, else waits behind the least busy. A task run as a
 * job emits `job.state` (running, then done, failed or cancelled) and `job.progress`, and stops at once
 * on `cancel(jobId)`: its thread is terminated and its call fails with CANCELLED.
 *
 * Interactive calls that take a fraction of a second but grow with a tensor's size (heatmap views,
 * tiles below a view's base, colour percentiles, overview thumbnails) run through `quick()` in one
 * more thread of their own, so they never wait behind a minutes-long evaluation or report.
 */

const DEFAULT_MAX_THREADS = 2;

export interface ComputeJob {
  /** The job's id; default `<prefix>-<n>`. */
  jobId?: string | undefined;
  prefix: string;
  label: string;
  /** Unit of the job's progress (e.g. "episodes"). */
  unit: string;
}

export interface ComputeRunnerOptions {
  emit: Emit;
  maxThreads?: number;
}

export class ComputeRunner {
  private readonly threads: TaskThread<ComputeRequest, unknown>[] = [];
  private interactive: TaskThread<ComputeRequest, unknown> | null = null;
  private readonly running = new Map<string, TaskHandle<unknown>>();
  private sequence = 0;
  private disposed = false;

  constructor(private readonly options: ComputeRunnerOptions) {}

  /** Runs `request` in a worker thread and resolves with what the worker returned. */
  task<T>(
    request: ComputeRequest,
    label: string,
    onProgress?: (progress: TaskProgress) => void,
  ): TaskHandle<T> {
    return this.thread().run(request, label, onProgress) as TaskHandle<T>;
  }

  /** Runs a short interactive `request` (a heatmap task) in the interactive thread, after the ones before it. */
  async quick<T>(request: ComputeRequest, label: string): Promise<T> {
    return (await this.interactiveThread().run(request, label).result) as T;
  }

  /** Starts the interactive thread ahead of its first task (a diff was opened: its heatmaps follow). */
  warmQuick(): void {
    if (!this.disposed) this.interactiveThread().warm();
  }

  /** Runs `request` as a cancellable job with `job.state` / `job.progress` events. */
  async job<T>(request: ComputeRequest, job: ComputeJob): Promise<T> {
    const jobId = job.jobId ?? `${job.prefix}-${++this.sequence}`;
    if (this.running.has(jobId)) {
      throw new DeltascopeError('INVALID_PAYLOAD', `A job with id "${jobId}" is already running.`);
    }
    const { emit } = this.options;
    const { label, unit } = job;
    const started = performance.now();
    const handle = this.task<T>(request, label, ({ done, total }) =>
      emit('job.progress', jobProgress(jobId, label, unit, started, done, total)),
    );
    this.running.set(jobId, handle);
    emit('job.state', { jobId, label, state: 'running' });
    try {
      const result = await handle.result;
      emit('job.state', { jobId, label, state: 'done' });
      return result;
    } catch (error) {
      const failure =
        error instanceof DeltascopeError ? error : new DeltascopeError('INTERNAL', String(error));
      const state = failure.code === 'CANCELLED' ? 'cancelled' : 'failed';
      emit('job.state', { jobId, label, state, message: failure.message });
      throw failure;
    } finally {
      this.running.delete(jobId);
    }
  }

  /** Stops a running or waiting job; false when there is none with that id. */
  cancel(jobId: string): boolean {
    const handle = this.running.get(jobId);
    if (handle === undefined) return false;
    handle.cancel();
    return true;
  }

  /** Cancels everything and ends the threads (on shutdown); resolves once they have exited. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const threads = this.threads.splice(0);
    if (this.interactive !== null) threads.push(this.interactive);
    this.interactive = null;
    await Promise.all(threads.map((thread) => thread.close()));
  }

  /** The interactive thread; none is started once the runner is disposed (nobody would close it). */
  private interactiveThread(): TaskThread<ComputeRequest, unknown> {
    this.refuseIfDisposed();
    this.interactive ??= newThread();
    return this.interactive;
  }

  private refuseIfDisposed(): void {
    if (this.disposed)
      throw new DeltascopeError('CANCELLED', 'The app is shutting down: its compute threads are closed.');
  }

  private thread(): TaskThread<ComputeRequest, unknown> {
    this.refuseIfDisposed();
    const idle = this.threads.find((thread) => thread.load === 0);
    if (idle !== undefined) return idle;
    if (this.threads.length < (this.options.maxThreads ?? DEFAULT_MAX_THREADS)) {
      const thread = newThread();
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((best, thread) => (thread.load < best.load ? thread : best));
  }
}

function newThread(): TaskThread<ComputeRequest, unknown> {
  return new TaskThread<ComputeRequest, unknown>(
    () => startWorkerThread('compute-worker.cjs', 'api/compute/compute-worker.ts', 'compute', null),
    'compute',
  );
}
